"""Synthetic metrics from JSON fixtures, for demos, tests and the embedded default.

Each ``DIR/NAME.json`` is one fixture, named by its stem: fixed numbers per window (v0.1.0's format)::

    {"windows": {"5m": {"good": 99950, "total": 100000,
                        "dataTimestamp": "2024-01-15T10:30:00Z"}}}

or a time-varying ``{"scenario": ...}`` of traffic and error ratio over time, which answers what a
real counter would have shown at each instant (see ``aegis.metrics.scenario``).

``dataTimestamp`` is optional (absent means fresh: the data is as new as the
evaluation), and so is ``dataPoints`` (raw samples behind the window, for
exercising ``minDataPoints``). As in v0.1.0, each query picks its fixture: a
query ``fixture:NAME``, or a query that is a fixture's bare name, reads that
fixture; any other query (PromQL) reads the fixture named after the SLO id.
Good events come from the good query's fixture, total events from the total
query's. A missing fixture or window is missing data, never an exception: the
engine WARNs.

Fixture files are read as carefully as SLO files: regular files of at most
1 MiB inside the directory, numbers of at most 64 characters, no nesting
beyond what JSON's parser allows, no data timestamp from the future. A bad file
is one problem (logged, and listed by ``problems``); the good ones still load.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aegis.bounded_read import FileRefused, MiB, read_bounded
from aegis.metrics.base import FUTURE_TOLERANCE, Measurement, WindowSample
from aegis.metrics.scenario import Scenario, ScenarioError, ScenarioWindow, parse_scenario
from aegis.spec.durations import DurationError, Window
from aegis.spec.model import SLO
from aegis.spec.problems import shorten

FIXTURE_PREFIX = "fixture:"
MAX_FIXTURE_BYTES = MiB
MAX_NUMBER_LENGTH = 64
MAX_DATA_POINTS = 1_000_000_000
_WINDOW_KEYS = {"good", "total", "dataTimestamp", "dataPoints"}


class FixtureError(ValueError):
    """A fixture file that cannot be used; the message names the file and field."""


@dataclass(frozen=True)
class FixtureWindow:
    good: float
    total: float
    data_timestamp: datetime | None
    data_points: int | None


# Fixed numbers per window, or a scenario over time.
Fixture = Mapping[Window, FixtureWindow] | Scenario


def fixture_name(query: str, slo_id: str, known: Collection[str]) -> str:
    """The fixture one query reads: ``fixture:NAME``, a known fixture's bare name, else the SLO id.

    >>> fixture_name("fixture: fast-burn", "api", ())
    'fast-burn'
    >>> fixture_name(" healthy\\n", "api", {"healthy"})
    'healthy'
    >>> fixture_name("sum(rate(x[{{window}}]))", "api", {"healthy"})
    'api'
    """
    text = query.strip()
    if text.startswith(FIXTURE_PREFIX):
        return text[len(FIXTURE_PREFIX) :].strip()
    return text if text in known else slo_id


def parse_any_fixture(document: Any, source: str, *, now: datetime | None = None) -> Fixture:
    """A decoded fixture file of either kind: ``{"windows": ...}`` or ``{"scenario": ...}``."""
    if isinstance(document, dict) and set(document) == {"scenario"}:
        try:
            return parse_scenario(document["scenario"], source, loaded_at=now or datetime.now(UTC))
        except ScenarioError as err:
            raise FixtureError(str(err)) from err
    return parse_fixture(document, source, now=now)


def parse_fixture(document: Any, source: str, *, now: datetime | None = None) -> dict[Window, FixtureWindow]:
    """Check one decoded fixture; raise FixtureError naming ``source`` and the field.

    A ``dataTimestamp`` later than ``now`` (default: the current time) plus the
    clock-skew tolerance is refused: data from the future is a broken fixture.
    """
    if not isinstance(document, dict) or set(document) != {"windows"}:
        raise FixtureError(f'{source}: expected an object with exactly one key, "windows" or "scenario"')
    windows = document["windows"]
    if not isinstance(windows, dict):
        raise FixtureError(f'{source}: windows: expected an object keyed by window (e.g. "5m")')
    latest = (now or datetime.now(UTC)) + FUTURE_TOLERANCE
    parsed: dict[Window, FixtureWindow] = {}
    for key, entry in windows.items():
        where = f"{source}: windows.{shorten(key, 40)}"
        try:
            window = Window.parse(key)
        except DurationError as err:
            raise FixtureError(f"{where}: {err}") from err
        parsed[window] = _parse_window(entry, where, latest)
    return parsed


def _parse_window(entry: Any, where: str, latest: datetime) -> FixtureWindow:
    if not isinstance(entry, dict):
        raise FixtureError(f"{where}: expected an object with good and total")
    unknown = sorted(shorten(str(key), 40) for key in set(entry) - _WINDOW_KEYS)
    if unknown:
        raise FixtureError(f"{where}: unknown field(s) {unknown[:5]}; expected {sorted(_WINDOW_KEYS)}")
    good, total = (_count(entry.get(name), f"{where}.{name}") for name in ("good", "total"))
    points = entry.get("dataPoints")
    if points is not None and (
        isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= MAX_DATA_POINTS
    ):
        expected = f"expected a whole number from 0 to {MAX_DATA_POINTS}"
        raise FixtureError(f"{where}.dataPoints: {expected}, got {_shown(points)}")
    return FixtureWindow(good, total, _timestamp(entry.get("dataTimestamp"), where, latest), points)


def _count(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FixtureError(f"{where}: expected a number, got {_shown(value)}")
    if not math.isfinite(float(value)) or value < 0:
        raise FixtureError(f"{where}: expected a finite number >= 0, got {_shown(value)}")
    return float(value)


def _timestamp(stamp: Any, where: str, latest: datetime) -> datetime | None:
    if stamp is None:
        return None
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError as err:
        raise FixtureError(f"{where}.dataTimestamp: expected RFC 3339, got {_shown(stamp)}") from err
    if moment.tzinfo is None:
        raise FixtureError(f"{where}.dataTimestamp: expected a time zone (e.g. Z), got {_shown(stamp)}")
    if moment > latest:
        raise FixtureError(
            f"{where}.dataTimestamp: {_shown(stamp)} is in the future; data cannot be newer than now "
            f"(plus {int(FUTURE_TOLERANCE.total_seconds())}s for clock skew)"
        )
    return moment


def _shown(value: Any) -> str:
    return shorten(repr(value), 60)


def decode_fixture(data: bytes, source: str) -> Any:
    """JSON with bounded numbers: no NaN or Infinity, no number longer than 64 characters."""

    def number(kind: type[int] | type[float]) -> Any:
        def convert(text: str) -> int | float:
            if len(text) > MAX_NUMBER_LENGTH:
                raise FixtureError(
                    f"{source}: a number written with {len(text)} characters; "
                    f"at most {MAX_NUMBER_LENGTH} are read"
                )
            return kind(text)

        return convert

    def constant(name: str) -> Any:
        raise FixtureError(f"{source}: expected a finite number, found {name}")

    try:
        text = data.decode("utf-8-sig")
        return json.loads(text, parse_int=number(int), parse_float=number(float), parse_constant=constant)
    except UnicodeDecodeError as err:
        found = f"byte 0x{err.object[err.start]:02x}"
        raise FixtureError(f"{source}: expected UTF-8 text, found {found}") from err
    except json.JSONDecodeError as err:
        where = f"line {err.lineno}, column {err.colno}"
        raise FixtureError(f"{source}: invalid JSON at {where}: {err.msg}") from err
    except RecursionError as err:
        raise FixtureError(f"{source}: invalid JSON: nested too deeply") from err


def load_fixtures(directory: Path, logger: logging.Logger) -> tuple[dict[str, Fixture], list[str]]:
    """Every good ``*.json`` fixture in ``directory``, and one problem per bad file (also logged)."""
    fixtures: dict[str, Fixture] = {}
    problems: list[str] = []
    for path in sorted(p for p in directory.glob("*.json") if not p.name.startswith(".")):
        try:
            data = read_bounded(path, limit=MAX_FIXTURE_BYTES, root=directory)
            fixtures[path.stem] = parse_any_fixture(decode_fixture(data, str(path)), str(path))
        except FileRefused as err:
            problems.append(f"{path}: {err}")
        except FixtureError as err:
            problems.append(str(err))
    for problem in problems:
        logger.error("synthetic fixture skipped: %s", problem)
    return fixtures, problems


class SyntheticAdapter:
    """A MetricsAdapter over fixtures: fixed ones answer the same at any ``at``, scenarios what ``at`` saw."""

    def __init__(
        self, fixtures: Mapping[str, Fixture], *, source: str = "fixtures", problems: Sequence[str] = ()
    ) -> None:
        self._fixtures = dict(fixtures)
        self._source = source
        self._problems = tuple(problems)

    @classmethod
    def from_directory(cls, directory: str | Path, logger: logging.Logger | None = None) -> SyntheticAdapter:
        path = Path(directory)
        if not path.is_dir():
            raise FixtureError(f"synthetic fixtures directory {str(path)!r} does not exist")
        fixtures, problems = load_fixtures(path, logger or logging.getLogger(__name__))
        return cls(fixtures, source=str(path), problems=problems)

    @property
    def fixture_names(self) -> tuple[str, ...]:
        return tuple(sorted(self._fixtures))

    @property
    def problems(self) -> tuple[str, ...]:
        """One line per fixture file that was skipped, naming the file and why."""
        return self._problems

    async def measure(self, slo: SLO, windows: Sequence[Window], at: datetime) -> Measurement:
        names = [fixture_name(q, slo.id, self._fixtures) for q in (slo.sli.good_query, slo.sli.total_query)]
        missing = [name for name in names if name not in self._fixtures]
        if missing:
            name = shorten(missing[0], 80)
            error = f"no synthetic fixture named {name!r} in {self._source}"
            return Measurement(at=at, error=error, error_kind="missing_fixture")
        good, total = (self._fixtures[name] for name in names)
        samples = {}
        for window in windows:
            good_entry, total_entry = _reading(good, window, at), _reading(total, window, at)
            if good_entry is None or total_entry is None:
                lacking = names[0] if good_entry is None else names[1]
                error = f"fixture {lacking!r} has no window {window}"
                samples[window] = WindowSample(None, None, error=error, error_kind="missing_fixture")
            else:
                samples[window] = _sample(good_entry, total_entry, at)
        return Measurement(at=at, windows=samples)

    async def aclose(self) -> None:
        return None


Reading = FixtureWindow | ScenarioWindow


def _reading(fixture: Fixture, window: Window, at: datetime) -> Reading | None:
    if isinstance(fixture, Scenario):
        return fixture.window(window, at)
    return fixture.get(window)


def _sample(good: Reading, total: Reading, at: datetime) -> WindowSample:
    """Good events from one fixture, total from the other (usually the same one).

    The newest timestamp either gives, as v0.1.0 chose; a fixed fixture without one is fresh (it
    speaks for the evaluation instant), a scenario gives its newest sample (none: nothing yet).
    A scenario window without any data is no data, which is not zero.
    """
    stamps = [_stamp(r, at) for r in (good, total)]
    known = [s for s in stamps if s is not None]
    points = [p for p in (good.data_points, total.data_points) if p is not None]
    scenario_gaps = (r.longest_gap for r in (good, total) if isinstance(r, ScenarioWindow))
    gaps = [gap for gap in scenario_gaps if gap is not None]
    return WindowSample(
        good=good.good,
        total=total.total,
        data_timestamp=max(known) if known else None,
        data_points=min(points) if points else None,
        longest_gap=max(gaps) if gaps else None,
    )


def _stamp(reading: Reading, at: datetime) -> datetime | None:
    if isinstance(reading, ScenarioWindow):
        return reading.data_timestamp
    return reading.data_timestamp or at
