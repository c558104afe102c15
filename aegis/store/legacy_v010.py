"""v0.1.0's audit rows, read exactly as v0.1.0 wrote them.

v0.1.0 (Go, mattn/go-sqlite3) kept one row per evaluation in ``evaluations``:
an ``INTEGER`` id, ``TEXT`` decision, ``REAL`` sli/error_rate/budget_remaining,
``0``/``1`` flags, ``reasons_json`` (a JSON array of strings), ``burn_rates_json``
(a JSON object ``{"5m": {"Window": "5m", "BurnRate": 20, "SLI": 0.98, "ErrorRate": 0.02}}``,
keys sorted by Go) and ``timestamp`` as text in the writer's local zone, e.g.
``2026-03-29 01:30:30.123456789+01:00``. The SLO's ``slo_definitions`` row gives
what a record lacks: the compliance window (the SLI's window), the evaluation
interval (v0.1.0's TTL) and the rules' thresholds (``spec_json``, Go field names).

Pure functions: ``aegis.store.legacy_import`` does the database side.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from aegis.engine.model import Evaluation, SLIResult, WindowBurn
from aegis.spec.durations import DurationError, Window
from aegis.spec.model import Decision

ID_PREFIX = "v0.1.0-"
_MAX_TTL_SECONDS = 2**31 - 1
_LAST = 2**62

# mattn/go-sqlite3 writes time.Time as "2006-01-02 15:04:05.999999999-07:00" and reads
# the shorter forms too (with T or space, no fraction, no zone = UTC, date only).
_GO_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


class UnreadableRow(ValueError):
    """A v0.1.0 row that cannot become an Evaluation; it stays where it is."""


@dataclass(frozen=True)
class Definition:
    """What a v0.1.0 record needs from its SLO's ``slo_definitions`` row."""

    window: Window | None = None
    ttl_seconds: int = 0
    # Threshold per window: the first rule (in spec order) that uses the window.
    thresholds: Mapping[Window, float] = field(default_factory=dict)


def to_evaluation(row: Mapping[Any, Any], definition: Definition | None = None) -> Evaluation:
    """The Evaluation v0.1.0 reported for one ``evaluations`` row (UnreadableRow if none)."""
    definition = definition or Definition()
    try:
        decision = Decision[row["decision"]]
    except (KeyError, TypeError) as err:
        raise UnreadableRow(f"decision {row['decision']!r} is not ALLOW, WARN or BLOCK") from err
    burn_rates = _burn_rates(row["burn_rates_json"], definition)
    window = definition.window or _longest(burn_rates)
    return Evaluation(
        evaluation_id=f"{ID_PREFIX}{row['id']}",
        slo_id=str(row["slo_id"]),
        service=str(row["service"]),
        environment=str(row["environment"]),
        decision=decision,
        timestamp=parse_go_timestamp(row["timestamp"]),
        ttl_seconds=definition.ttl_seconds,
        sli=None
        if window is None
        else SLIResult(
            value=_number(row["sli"], "sli"),
            error_rate=_number(row["error_rate"], "error_rate"),
            budget_remaining=_number(row["budget_remaining"], "budget_remaining"),
            window=window,
        ),
        reasons=_reasons(row["reasons_json"]),
        burn_rates=burn_rates,
        is_stale=bool(row["is_stale"]),
        has_no_traffic=bool(row["has_no_traffic"]),
    )


def parse_go_timestamp(value: object) -> datetime:
    """A go-sqlite3 timestamp as an aware UTC datetime (nanoseconds cut to microseconds)."""
    match = _GO_TIME.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise UnreadableRow(f"timestamp {value!r} is not a go-sqlite3 time")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=_zone(zone),
        )
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as err:
        raise UnreadableRow(f"timestamp {value!r}: {err}") from err


def definition_from_row(row: Mapping[Any, Any]) -> Definition:
    """A ``slo_definitions`` row; any part that does not parse is left out."""
    return Definition(
        window=_window(row["compliance_window"]),
        ttl_seconds=min(interval.seconds, _MAX_TTL_SECONDS)
        if (interval := _window(row["evaluation_interval"]))
        else 0,
        thresholds=_thresholds(row["spec_json"]),
    )


def _burn_rates(raw: object, definition: Definition) -> dict[str, WindowBurn]:
    """Shortest window first, keys in our canonical spelling (``60m`` -> ``1h``)."""
    parsed = _json(raw, "burn_rates_json")
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise UnreadableRow("burn_rates_json is not a JSON object")
    entries: list[tuple[tuple[int, str], str, WindowBurn]] = []
    for key, item in parsed.items():
        rate = item.get("BurnRate") if isinstance(item, dict) else None
        if not isinstance(rate, int | float) or isinstance(rate, bool):
            raise UnreadableRow(f"burn_rates_json[{key!r}] has no number BurnRate")
        window = _window(key)
        threshold = definition.thresholds.get(window, 0.0) if window else 0.0
        # Windows that do not parse (v0.1.0 never wrote one) keep their text and go last.
        order = (window.seconds, "") if window else (_LAST, key)
        entries.append((order, window.text if window else key, WindowBurn(float(rate), threshold)))
    return {text: burn for _, text, burn in sorted(entries, key=lambda entry: entry[0])}


def _reasons(raw: object) -> tuple[str, ...]:
    parsed = _json(raw, "reasons_json")
    if parsed is None:  # Go marshals a nil slice as null
        return ()
    if not isinstance(parsed, list) or not all(isinstance(item, str) for item in parsed):
        raise UnreadableRow("reasons_json is not a JSON array of strings")
    return tuple(parsed)


def _thresholds(raw: object) -> dict[Window, float]:
    # json.Marshal of v0.1.0's Spec: Go field names, {"BurnPolicy": {"Rules": [...]}}.
    try:
        rules = json.loads(raw)["BurnPolicy"]["Rules"] if isinstance(raw, str) else None
    except (ValueError, KeyError, TypeError):
        return {}
    thresholds: dict[Window, float] = {}
    for rule in rules if isinstance(rules, list) else ():
        threshold = rule.get("Threshold") if isinstance(rule, dict) else None
        if not isinstance(threshold, int | float) or isinstance(threshold, bool):
            continue
        for key in ("ShortWindow", "LongWindow"):
            window = _window(rule.get(key))
            if window is not None:
                thresholds.setdefault(window, float(threshold))
    return thresholds


def _longest(burn_rates: Mapping[str, WindowBurn]) -> Window | None:
    windows = [window for key in burn_rates if (window := _window(key)) is not None]
    return max(windows, default=None)


def _window(text: object) -> Window | None:
    return _parse_window(text) if isinstance(text, str) else None


@functools.lru_cache(maxsize=1024)
def _parse_window(text: str) -> Window | None:
    # A v0.1.0 database repeats the same few windows in every row.
    try:
        return Window.parse(text)
    except DurationError:
        return None


def _json(raw: object, column: str) -> Any:
    if not isinstance(raw, str | bytes):
        raise UnreadableRow(f"{column} is not text")
    try:
        return json.loads(raw)
    except ValueError as err:
        raise UnreadableRow(f"{column} is not JSON: {err}") from err


def _number(value: object, column: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise UnreadableRow(f"{column} {value!r} is not a number")
    return float(value)


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
