"""How to reach a Prometheus-compatible API, and how hard to try.

One frozen object, built from command-line options by ``from_options`` (which
turns every bad value into a ValueError naming the option), read by the
adapter. Its ``repr`` never shows a secret: passwords, header values and a
password inside the URL print as ``***``, so the object can be logged.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from urllib.parse import urlsplit, urlunsplit

_REDACTED = "***"
# RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


@dataclass(frozen=True, repr=False)
class PrometheusConfig:
    """Options of the Prometheus adapter; durations are in seconds.

    ``headers`` go on every request (``X-Scope-OrgID`` for a Mimir or Cortex
    tenant, for instance). Token and password files are read again for every
    request, so a rotated secret is picked up without a restart.
    """

    url: str
    max_concurrency: int = 10
    # Per HTTP attempt; also sent to the server as its query timeout.
    query_timeout: float = 10.0
    # Everything one measure() may spend, retries and back-off included.
    evaluation_budget: float = 30.0
    max_attempts: int = 4
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    headers: tuple[tuple[str, str], ...] = ()
    bearer_token_file: str | None = None
    basic_auth_username: str | None = None
    basic_auth_password: str | None = None
    basic_auth_password_file: str | None = None
    ca_file: str | None = None
    # Evaluation times are rounded down to this grid so that SLOs evaluated a
    # moment apart ask the very same (query, time) and share one request. 0 = off.
    time_alignment: float = 10.0
    # How long a successful answer is reused for the same (query, time).
    cache_ttl: float = 60.0
    # Ask for every window of an SLO in one request; off = one request per query and window.
    combine_queries: bool = True
    # The freshness/gap timeline covers at most this much history (seconds) ...
    timeline_max_range: int = 86400
    # ... in at most this many steps, never finer than the minimum step (a typical scrape interval).
    timeline_max_points: int = 1440
    timeline_min_step: int = 15
    # Read good/total from the series ``aegis rules`` records when they exist (docs/prometheus.md),
    # trusting a recorded sample up to this many seconds old (two missed one-minute evaluations).
    recorded_series: bool = False
    recorded_series_max_age: int = 180
    # SLOs whose queries differ only in one label's value (one per service, say) are asked in
    # one request when they are evaluated within this many seconds of each other (0 = never) ...
    batch_window: float = 0.05
    # ... in queries of at most this many bytes (VictoriaMetrics refuses more than 16 KiB by default)
    # and this many SLOs, so that no one query costs the server more than a fraction of its timeout.
    batch_max_query_bytes: int = 16000
    batch_max_members: int = 100
    # Windows of a day or more that decide nothing (no rule reads them and no budget policy gates
    # on them: the compliance window, usually) are read at most this often (seconds; 0 = always);
    # in between, an evaluation keeps the last answer, with that answer's data age.
    long_window_interval: float = 900.0

    def __post_init__(self) -> None:
        _check_url(self.url)
        for name in (
            "max_concurrency",
            "max_attempts",
            "timeline_max_range",
            "timeline_max_points",
            "recorded_series_max_age",
        ):
            _check_positive_int(name, getattr(self, name))
        _check_positive_int("timeline_min_step", self.timeline_min_step)
        _check_positive_int("batch_max_query_bytes", self.batch_max_query_bytes)
        _check_positive_int("batch_max_members", self.batch_max_members)
        for name in ("query_timeout", "evaluation_budget", "initial_backoff", "max_backoff"):
            _check_number(name, getattr(self, name), allow_zero=name == "initial_backoff")
        for name in ("time_alignment", "cache_ttl", "batch_window", "long_window_interval"):
            _check_number(name, getattr(self, name), allow_zero=True)
        for name, value in self.headers:
            _check_header(name, value)
        self._check_auth()

    def _check_auth(self) -> None:
        has_password = self.basic_auth_password is not None or self.basic_auth_password_file is not None
        if self.basic_auth_password is not None and self.basic_auth_password_file is not None:
            raise ValueError("basic auth: give a password or a password file, not both")
        if has_password and not self.basic_auth_username:
            raise ValueError("basic auth: a password was given without a user name")
        if self.basic_auth_username and not has_password:
            raise ValueError(f"basic auth: user {self.basic_auth_username!r} needs a password file")
        if self.bearer_token_file and self.basic_auth_username:
            raise ValueError("use either a bearer token file or basic auth, not both")
        if urlsplit(self.url).username is not None and (self.bearer_token_file or self.basic_auth_username):
            raise ValueError("the Prometheus URL carries user:password; drop it or the auth options")
        sets_authorization = any(name.lower() == "authorization" for name, _ in self.headers)
        if sets_authorization and (self.bearer_token_file or self.basic_auth_username):
            raise ValueError("an Authorization header conflicts with the bearer token or basic auth options")

    @classmethod
    def from_options(cls, url: str | None, options: Mapping[str, object]) -> PrometheusConfig:
        """Build from command-line style options; None means "not given, use the default".

        Keys: ``headers`` (``'Name: value'`` strings), ``max_concurrency``, ``timeout``,
        ``evaluation_budget``, ``time_alignment``, ``bearer_token_file``, ``basic_auth_user``,
        ``basic_auth_password_file``, ``ca_file``. Files must exist and be readable.
        """
        if not url:
            raise ValueError("the Prometheus adapter needs a URL (--prometheus-url or PROMETHEUS_URL)")
        unknown = sorted(set(options) - _OPTION_FIELDS.keys())
        if unknown:
            raise ValueError(f"unknown Prometheus option(s) {unknown}; expected {sorted(_OPTION_FIELDS)}")
        values: dict[str, object] = {}
        for key, raw in options.items():
            if raw is None:
                continue
            field_name = _OPTION_FIELDS[key]
            values[field_name] = _convert_option(key, raw)
        for key in ("bearer_token_file", "basic_auth_password_file", "ca_file"):
            path = values.get(_OPTION_FIELDS[key])
            if isinstance(path, str):
                _check_readable(key, path)
        return cls(url=url, **values)  # type: ignore[arg-type]

    @property
    def redacted_url(self) -> str:
        return redact_url(self.url)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "url":
                value = self.redacted_url
            elif f.name == "basic_auth_password" and value is not None:
                value = _REDACTED
            elif f.name == "headers":
                value = tuple((name, _REDACTED) for name, _ in value)
            shown.append(f"{f.name}={value!r}")
        return f"PrometheusConfig({', '.join(shown)})"

    __str__ = __repr__


# Option keys as the command line names them -> dataclass fields.
_OPTION_FIELDS = {
    "headers": "headers",
    "max_concurrency": "max_concurrency",
    "timeout": "query_timeout",
    "evaluation_budget": "evaluation_budget",
    "bearer_token_file": "bearer_token_file",
    "basic_auth_user": "basic_auth_username",
    "basic_auth_password_file": "basic_auth_password_file",
    "ca_file": "ca_file",
    "time_alignment": "time_alignment",
    "recorded_series": "recorded_series",
}


def _convert_option(key: str, raw: object) -> object:
    if key == "headers":
        return parse_headers(raw)
    if key == "recorded_series":
        if not isinstance(raw, bool):
            raise ValueError(f"--prometheus-recorded-series: expected true or false, got {raw!r}")
        return raw
    if key == "max_concurrency":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"--prometheus-max-concurrency: expected a whole number, got {raw!r}")
        return raw
    if key in ("timeout", "evaluation_budget", "time_alignment"):
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError(f"--prometheus-{key.replace('_', '-')}: expected seconds, got {raw!r}")
        return float(raw)
    if not isinstance(raw, str) or not raw:
        raise ValueError(f"--prometheus-{key.replace('_', '-')}: expected a non-empty path, got {raw!r}")
    return raw


def parse_header(text: str) -> tuple[str, str]:
    """``'X-Scope-OrgID: team-a'`` -> ``('X-Scope-OrgID', 'team-a')``; ValueError when malformed."""
    name, colon, value = text.partition(":")
    if not colon:
        raise ValueError(f"--prometheus-header {text!r}: expected 'Name: value' (a colon is missing)")
    name, value = name.strip(), value.strip()
    _check_header(name, value, shown=text)
    return name, value


def parse_headers(raw: object) -> tuple[tuple[str, str], ...]:
    """Headers as a list of ``'Name: value'`` strings (or already split pairs)."""
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise ValueError(f"--prometheus-header: expected a list of 'Name: value', got {raw!r}")
    parsed: list[tuple[str, str]] = []
    for item in raw:
        if isinstance(item, str):
            parsed.append(parse_header(item))
        elif isinstance(item, tuple) and len(item) == 2 and all(isinstance(p, str) for p in item):
            _check_header(item[0], item[1])
            parsed.append((item[0], item[1]))
        else:
            raise ValueError(f"--prometheus-header: expected 'Name: value', got {item!r}")
    return tuple(parsed)


def redact_url(url: str) -> str:
    """The URL with any password in it replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:{_REDACTED}@{netloc}"))


def _check_header(name: str, value: str, *, shown: str | None = None) -> None:
    where = f"--prometheus-header {shown!r}" if shown is not None else f"header {name!r}"
    if not _HEADER_NAME.match(name):
        raise ValueError(f"{where}: {name!r} is not a valid header name (letters, digits and -_. only)")
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{where}: the value must not contain line breaks")


def _check_url(url: str) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"Prometheus URL {redact_url(str(url))!r}: expected http(s)://host[:port][/path]")
    if parts.query or parts.fragment:
        raise ValueError(f"Prometheus URL {redact_url(url)!r}: must not carry a query string or fragment")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as err:
        raise ValueError(f"Prometheus URL {redact_url(url)!r}: {err}") from err


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Prometheus option {name}: expected a whole number >= 1, got {value!r}")


def _check_number(name: str, value: object, *, allow_zero: bool) -> None:
    ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):  # type: ignore[operator]
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"Prometheus option {name}: expected a number of seconds {bound}, got {value!r}")


def _check_readable(key: str, path: str) -> None:
    flag = f"--prometheus-{key.replace('_', '-')}"
    if not os.path.isfile(path):
        raise ValueError(f"{flag}: {path!r} is not a file")
    if not os.access(path, os.R_OK):
        raise ValueError(f"{flag}: {path!r} is not readable")
