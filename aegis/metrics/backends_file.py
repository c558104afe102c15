"""``--backends-file``: named metric backends, so that one server reads SLOs from several sources.

    backends:
      - name: victoria
        type: prometheus                  # the default; anything speaking the Prometheus HTTP API
        url: http://victoria-metrics:8428
        maxConcurrency: 20
        timeout: 5s                       # per query; evaluationBudget: everything one evaluation may spend
      - name: mimir
        url: https://mimir.example.com/prometheus
        headers: {X-Scope-OrgID: team-a}
        bearerTokenFile: /var/run/secrets/mimir/token    # or basicAuth: {username: u, passwordFile: f}
        caFile: /etc/aegis/mimir-ca.pem
        recordedSeries: true              # read what `aegis rules` records (docs/prometheus.md)
      - name: demo
        type: synthetic
        fixtures: fixtures/metrics

An SLO picks one with ``spec.sli.backend``; SLOs that name none use the backend called
``default``: the ``--adapter``/``--prometheus-*`` flags' backend, unless this file defines one by
that name. Durations are ``10s``/``1m`` strings or plain seconds (``2.5``); relative paths are
relative to this file. Unknown fields are errors, so a typo never silently drops a header; every
error names the file, the field and its line. Secrets live in files, never in this one.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aegis.bounded_read import FileRefused, MiB, read_bounded
from aegis.metrics.prometheus_config import PrometheusConfig
from aegis.spec.durations import DurationError, Window
from aegis.spec.problems import FieldPath, format_path, shorten
from aegis.spec.suggest import did_you_mean
from aegis.spec.yaml_fast import read_documents
from aegis.spec.yaml_source import YamlDocument, YamlSourceError

BackendType = Literal["prometheus", "synthetic"]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_COMMON = ("name", "type")
_PROMETHEUS = (
    *_COMMON, "url", "headers", "bearerTokenFile", "basicAuth", "caFile",
    "maxConcurrency", "timeout", "evaluationBudget", "timeAlignment", "recordedSeries",
)  # fmt: skip
_SYNTHETIC = (*_COMMON, "fixtures")
_BASIC_AUTH = ("username", "passwordFile")
# Field in the file -> PrometheusConfig field, for seconds.
_SECONDS = {
    "timeout": "query_timeout",
    "evaluationBudget": "evaluation_budget",
    "timeAlignment": "time_alignment",
}


class BackendsFileError(ValueError):
    """The backends file cannot be used; the message names the file, the field and the line."""


@dataclass(frozen=True)
class BackendSpec:
    """One named backend: how to reach it. Equal specs need no new client on a reload."""

    name: str
    type: BackendType
    prometheus: PrometheusConfig | None = None
    # Synthetic backends: the fixtures directory.
    fixtures: str | None = None


def load_backends_file(path: str | Path) -> tuple[BackendSpec, ...]:
    where = str(path)
    try:
        text = read_bounded(path, limit=MiB).decode("utf-8-sig")
        documents = [d for d in read_documents(text) if d.data is not None]
    except FileRefused as err:
        raise BackendsFileError(f"{where}: {err}") from None
    except UnicodeDecodeError:
        raise BackendsFileError(f"{where}: expected UTF-8 text") from None
    except YamlSourceError as err:
        raise BackendsFileError(f"{where}: {err}") from None
    if len(documents) != 1:
        raise BackendsFileError(f"{where}: expected one YAML document with a list of backends")
    return parse_backends(documents[0], where, base=Path(path).parent)


def parse_backends(document: YamlDocument, where: str, *, base: Path) -> tuple[BackendSpec, ...]:
    reader = _Reader(document, where, base)
    data = document.data
    if not isinstance(data, Mapping) or set(data) != {"backends"} or not isinstance(data["backends"], list):
        raise reader.error((), "expected a mapping with one field, backends: a list of named backends")
    specs = [reader.backend(index, entry) for index, entry in enumerate(data["backends"])]
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        if spec.name in seen:
            raise reader.error(("backends", index, "name"), f"two backends are named {spec.name!r}")
        seen.add(spec.name)
    return tuple(specs)


class _Reader:
    """Turns one backend entry into a BackendSpec, or a BackendsFileError that points at the field."""

    def __init__(self, document: YamlDocument, where: str, base: Path) -> None:
        self._document = document
        self._where = where
        self._base = base

    def error(self, path: FieldPath, message: str) -> BackendsFileError:
        field = f" {format_path(path)}:" if path else ""
        return BackendsFileError(f"{self._where}:{field} {message} (line {self._document.line_of(path)})")

    def backend(self, index: int, entry: Any) -> BackendSpec:
        at: FieldPath = ("backends", index)
        if not isinstance(entry, Mapping):
            raise self.error(at, "expected a mapping with name, type and the backend's settings")
        kind = entry.get("type", "prometheus")
        if kind not in ("prometheus", "synthetic"):
            found = shorten(repr(kind), 40)
            raise self.error((*at, "type"), f"expected prometheus or synthetic, found {found}")
        allowed = _PROMETHEUS if kind == "prometheus" else _SYNTHETIC
        for key in entry:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                raise self.error((*at, str(key)), f"unknown field for a {kind} backend{hint}")
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            expected = "expected a name of 1 to 64 letters, digits, '.', '_' or '-'"
            raise self.error((*at, "name"), f"{expected}, starting with a letter or digit")
        if kind == "synthetic":
            return BackendSpec(name, "synthetic", fixtures=self._path(at, entry, "fixtures", directory=True))
        return BackendSpec(name, "prometheus", prometheus=self._prometheus(at, entry))

    def _prometheus(self, at: FieldPath, entry: Mapping[str, Any]) -> PrometheusConfig:
        values: dict[str, Any] = {"headers": self._headers(at, entry.get("headers"))}
        if "maxConcurrency" in entry:
            count = entry["maxConcurrency"]
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
                raise self.error((*at, "maxConcurrency"), "expected a whole number of queries from 1 to 1000")
            values["max_concurrency"] = count
        for key, field in _SECONDS.items():
            if key in entry:
                values[field] = self._seconds((*at, key), entry[key], allow_zero=key == "timeAlignment")
        if "recordedSeries" in entry:
            if not isinstance(entry["recordedSeries"], bool):
                raise self.error((*at, "recordedSeries"), "expected true or false")
            values["recorded_series"] = entry["recordedSeries"]
        if "bearerTokenFile" in entry:
            values["bearer_token_file"] = self._path(at, entry, "bearerTokenFile")
        if "caFile" in entry:
            values["ca_file"] = self._path(at, entry, "caFile")
        if "basicAuth" in entry:
            values.update(self._basic_auth((*at, "basicAuth"), entry["basicAuth"]))
        url = entry.get("url")
        if not isinstance(url, str):
            raise self.error(
                (*at, "url"), "expected the URL of a Prometheus HTTP API, e.g. http://prometheus:9090"
            )
        try:
            return PrometheusConfig(url=url, **values)
        except ValueError as err:
            raise self.error(at, str(err)) from None

    def _headers(self, at: FieldPath, raw: Any) -> tuple[tuple[str, str], ...]:
        if raw is None:
            return ()
        if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
            raise self.error((*at, "headers"), "expected a mapping of header names to text values")
        return tuple((str(name), value) for name, value in raw.items())

    def _basic_auth(self, at: FieldPath, raw: Any) -> dict[str, str]:
        if not isinstance(raw, Mapping) or set(raw) != set(_BASIC_AUTH):
            raise self.error(at, "expected username and passwordFile (the password lives in its own file)")
        if not isinstance(raw["username"], str) or not raw["username"]:
            raise self.error((*at, "username"), "expected a user name")
        password = self._path(at, raw, "passwordFile")
        return {"basic_auth_username": raw["username"], "basic_auth_password_file": password}

    def _seconds(self, at: FieldPath, raw: Any, *, allow_zero: bool) -> float:
        seconds: float | None = None
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            seconds = float(raw)
        elif isinstance(raw, str):
            with contextlib.suppress(DurationError):
                seconds = float(Window.parse(raw).seconds)
        if seconds is None or seconds < 0 or (seconds == 0 and not allow_zero):
            bound = "0 or more" if allow_zero else "more than 0"
            found = shorten(repr(raw), 40)
            raise self.error(at, f"expected seconds ({bound}) or a duration like 10s or 1m, found {found}")
        return seconds

    def _path(self, at: FieldPath, entry: Mapping[str, Any], key: str, *, directory: bool = False) -> str:
        raw = entry.get(key)
        if not isinstance(raw, str) or not raw:
            raise self.error((*at, key), "expected a path")
        path = self._base / raw
        exists = path.is_dir() if directory else path.is_file()
        if not exists or not os.access(path, os.R_OK):
            what = "directory" if directory else "file"
            raise self.error((*at, key), f"expected a readable {what}, found nothing usable at {str(path)!r}")
        return str(path)
