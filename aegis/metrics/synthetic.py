"""Synthetic metrics from JSON fixtures, for demos, tests and the embedded default.

Each ``DIR/NAME.json`` is one fixture, named by its stem::

    {"windows": {"5m": {"good": 99950, "total": 100000,
                        "dataTimestamp": "2024-01-15T10:30:00Z"}}}

``dataTimestamp`` is optional (absent means fresh: the data is as new as the
evaluation), and so is ``dataPoints`` (raw samples behind the window, for
exercising ``minDataPoints``). An SLO reads the fixture named by ``fixture:NAME``
in its good (or total) query, otherwise the one named after its id. A missing
fixture or window is missing data, never an exception: the engine WARNs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aegis.metrics.base import Measurement, WindowSample
from aegis.spec.durations import DurationError, Window
from aegis.spec.model import SLO

_FIXTURE_PREFIX = "fixture:"
_WINDOW_KEYS = {"good", "total", "dataTimestamp", "dataPoints"}


class FixtureError(ValueError):
    """A fixture file that cannot be used; the message names the file and field."""


@dataclass(frozen=True)
class FixtureWindow:
    good: float
    total: float
    data_timestamp: datetime | None
    data_points: int | None


Fixture = Mapping[Window, FixtureWindow]


def fixture_name(slo: SLO) -> str:
    """``fixture:NAME`` from the good or total query (whitespace ignored), else the SLO id."""
    for query in (slo.sli.good_query, slo.sli.total_query):
        text = query.strip()
        if text.startswith(_FIXTURE_PREFIX):
            return text[len(_FIXTURE_PREFIX) :].strip()
    return slo.id


def parse_fixture(document: Any, source: str) -> dict[Window, FixtureWindow]:
    """Check one decoded fixture; raise FixtureError naming ``source`` and the field."""
    if not isinstance(document, dict) or set(document) != {"windows"}:
        raise FixtureError(f'{source}: expected an object with exactly one key "windows"')
    windows = document["windows"]
    if not isinstance(windows, dict):
        raise FixtureError(f'{source}: windows: expected an object keyed by window (e.g. "5m")')
    parsed: dict[Window, FixtureWindow] = {}
    for key, entry in windows.items():
        where = f"{source}: windows.{key}"
        try:
            window = Window.parse(key)
        except DurationError as err:
            raise FixtureError(f"{where}: {err}") from err
        parsed[window] = _parse_window(entry, where)
    return parsed


def _parse_window(entry: Any, where: str) -> FixtureWindow:
    if not isinstance(entry, dict):
        raise FixtureError(f"{where}: expected an object with good and total")
    unknown = set(entry) - _WINDOW_KEYS
    if unknown:
        raise FixtureError(f"{where}: unknown field(s) {sorted(unknown)}; expected {sorted(_WINDOW_KEYS)}")
    counts = []
    for name in ("good", "total"):
        value = entry.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FixtureError(f"{where}.{name}: expected a number, got {value!r}")
        counts.append(float(value))
    stamp = entry.get("dataTimestamp")
    data_timestamp = None
    if stamp is not None:
        try:
            data_timestamp = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError as err:
            raise FixtureError(f"{where}.dataTimestamp: expected RFC 3339, got {stamp!r}") from err
        if data_timestamp.tzinfo is None:
            raise FixtureError(f"{where}.dataTimestamp: expected a time zone (e.g. Z), got {stamp!r}")
    points = entry.get("dataPoints")
    if points is not None and (isinstance(points, bool) or not isinstance(points, int) or points < 0):
        raise FixtureError(f"{where}.dataPoints: expected a non-negative integer, got {points!r}")
    return FixtureWindow(counts[0], counts[1], data_timestamp, points)


def load_fixtures(directory: Path, logger: logging.Logger) -> dict[str, Fixture]:
    """Every good ``*.json`` fixture in ``directory``; bad ones are logged and skipped."""
    fixtures: dict[str, Fixture] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            fixtures[path.stem] = parse_fixture(json.loads(path.read_text(encoding="utf-8")), str(path))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
            logger.error("synthetic fixture %s skipped: %s", path, err)
        except FixtureError as err:
            logger.error("synthetic fixture skipped: %s", err)
    return fixtures


class SyntheticAdapter:
    """A MetricsAdapter over fixed fixtures: the same answer every time, for any ``at``."""

    def __init__(self, fixtures: Mapping[str, Fixture], *, source: str = "fixtures") -> None:
        self._fixtures = dict(fixtures)
        self._source = source

    @classmethod
    def from_directory(cls, directory: str | Path, logger: logging.Logger | None = None) -> SyntheticAdapter:
        path = Path(directory)
        if not path.is_dir():
            raise FixtureError(f"synthetic fixtures directory {str(path)!r} does not exist")
        return cls(load_fixtures(path, logger or logging.getLogger(__name__)), source=str(path))

    @property
    def fixture_names(self) -> tuple[str, ...]:
        return tuple(sorted(self._fixtures))

    async def measure(self, slo: SLO, windows: Sequence[Window], at: datetime) -> Measurement:
        name = fixture_name(slo)
        fixture = self._fixtures.get(name)
        if fixture is None:
            error = f"no synthetic fixture named {name!r} in {self._source}"
            return Measurement(at=at, error=error, error_kind="missing_fixture")
        samples = {}
        for window in windows:
            entry = fixture.get(window)
            if entry is None:
                samples[window] = WindowSample(
                    None, None, error=f"fixture {name!r} has no window {window}", error_kind="missing_fixture"
                )
                continue
            samples[window] = WindowSample(
                good=entry.good,
                total=entry.total,
                # Absent means fresh: the fixture speaks for the evaluation instant.
                data_timestamp=entry.data_timestamp or at,
                data_points=entry.data_points,
            )
        return Measurement(at=at, windows=samples)

    async def aclose(self) -> None:
        return None
