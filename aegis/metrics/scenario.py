"""Time-varying synthetic metrics: traffic and error ratio as segments over time.

A static fixture answers the same numbers at every instant; a scenario answers what a real
counter would have shown at that instant, so the scheduler sees a burn start and end, and a
replay sees history::

    {"scenario": {
       "start": "-7h",
       "scrapeInterval": "15s",
       "segments": [
         {"for": "7h", "requestsPerSecond": 10, "errorRatio": 0.001},
         {"for": "30m", "requestsPerSecond": 10, "errorRatio": 1},
         {"for": "10m", "noData": true},
         {"requestsPerSecond": 10, "errorRatio": 0.001}]}}

``start`` is an RFC 3339 time, or a negative offset (``-7h``) from when the fixture is loaded.
Segments follow each other from ``start``; the last may omit ``for`` and then lasts forever,
otherwise the data stops when the segments end. A ``noData`` segment is a collection gap: no
samples at all, which is not the same as a segment with zero traffic. Before ``start`` nothing
existed. Samples are taken every ``scrapeInterval`` (default 15s) from ``start``, which is what
data age, data points and gaps are counted from. Everything is computed exactly, in closed form:
no per-sample loops, so a 30-day window costs what a 5-minute one does.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aegis.spec.durations import DurationError, Window

MAX_SEGMENTS = 1000
MAX_RATE = 1e9
_SEGMENT_KEYS = {"for", "requestsPerSecond", "errorRatio", "noData"}
_SCENARIO_KEYS = {"start", "scrapeInterval", "segments"}


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Segment:
    start: float  # unix seconds
    end: float  # unix seconds; math.inf for the open last segment
    rate: float  # requests per second
    error_ratio: float
    no_data: bool = False


@dataclass(frozen=True)
class ScenarioWindow:
    """What one window of a scenario holds at one instant."""

    good: float | None
    total: float | None
    data_timestamp: datetime | None
    data_points: int
    longest_gap: timedelta | None


@dataclass(frozen=True)
class Scenario:
    start: float
    scrape_interval: float
    segments: tuple[Segment, ...]

    @property
    def end(self) -> float:
        return self.segments[-1].end if self.segments else self.start

    def window(self, window: Window, at: datetime) -> ScenarioWindow:
        """Events, newest sample, samples and longest gap in ``(at - window, at]``."""
        now = at.timestamp()
        begin = now - window.seconds
        good = total = 0.0
        points = 0
        covered = False
        for segment in self._data_segments():
            low, high = max(begin, segment.start), min(now, segment.end)
            if high <= low:
                continue
            covered = True
            seconds = high - low
            total += segment.rate * seconds
            good += segment.rate * (1 - segment.error_ratio) * seconds
            points += self._samples_between(begin, high, segment)
        if not covered:
            return ScenarioWindow(None, None, self._newest_sample(now), 0, None)
        newest = self._newest_sample(now)
        return ScenarioWindow(
            good=good,
            total=total,
            data_timestamp=newest,
            data_points=points,
            longest_gap=timedelta(seconds=self._longest_gap(begin, now)),
        )

    def _data_segments(self) -> Iterator[Segment]:
        return (s for s in self.segments if not s.no_data)

    def _scrape_index(self, moment: float) -> float:
        return (moment - self.start) / self.scrape_interval

    def _first_index(self, after: float, segment: Segment) -> int:
        """The first scrape later than ``after`` that is inside ``segment`` (which starts inclusive)."""
        return max(math.floor(self._scrape_index(after)) + 1, math.ceil(self._scrape_index(segment.start)))

    def _samples_between(self, after: float, upto: float, segment: Segment) -> int:
        """Scrapes with after < t_k <= upto inside ``segment`` [start, end), t_k = start + k * interval."""
        first = self._first_index(after, segment)
        last = math.floor(self._scrape_index(upto))
        if segment.end != math.inf and self.start + last * self.scrape_interval >= segment.end:
            last = math.ceil(self._scrape_index(segment.end)) - 1
        return max(last - first + 1, 0)

    def _newest_sample(self, now: float) -> datetime | None:
        """The last scrape at or before ``now`` that fell inside a data segment."""
        newest: float | None = None
        for segment in self._data_segments():
            if segment.start > now:
                break
            upto = min(now, segment.end)
            index = math.floor(self._scrape_index(upto))
            moment = self.start + index * self.scrape_interval
            if segment.end != math.inf and moment >= segment.end:
                moment -= self.scrape_interval
            if moment >= segment.start:
                newest = moment
        return datetime.fromtimestamp(newest, UTC) if newest is not None else None

    def _longest_gap(self, begin: float, now: float) -> float:
        """Longest stretch of the window without a sample, edges included (as the Prometheus adapter).

        Samples come in runs, one per data segment; inside a run they are one interval apart.
        """
        edges = [begin]
        spacing = 0.0
        for segment in self._data_segments():
            low, high = max(begin, segment.start), min(now, segment.end)
            count = self._samples_between(begin, high, segment) if high > low else 0
            if count == 0:
                continue
            first = self.start + self._first_index(begin, segment) * self.scrape_interval
            edges.extend((first, first + (count - 1) * self.scrape_interval))
            if count > 1:
                spacing = self.scrape_interval
        edges.append(now)
        return max(spacing, *(b - a for a, b in zip(edges[::2], edges[1::2], strict=True)))


def parse_scenario(document: Any, source: str, *, loaded_at: datetime) -> Scenario:
    """Check one decoded ``{"scenario": {...}}`` body; raise ScenarioError naming ``source`` and the field."""
    where = f"{source}: scenario"
    if not isinstance(document, Mapping):
        raise ScenarioError(f"{where}: expected an object with start and segments")
    unknown = sorted(str(k)[:40] for k in set(document) - _SCENARIO_KEYS)
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {unknown[:5]}; expected {sorted(_SCENARIO_KEYS)}")
    start = _start(document.get("start"), f"{where}.start", loaded_at)
    interval = float(_duration(document.get("scrapeInterval", "15s"), f"{where}.scrapeInterval").seconds)
    raw = document.get("segments")
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(f"{where}.segments: expected a list of at least one segment")
    if len(raw) > MAX_SEGMENTS:
        raise ScenarioError(f"{where}.segments: expected at most {MAX_SEGMENTS} segments, got {len(raw)}")
    segments: list[Segment] = []
    cursor = start
    for index, entry in enumerate(raw):
        last = index == len(raw) - 1
        segment = _segment(entry, f"{where}.segments[{index}]", cursor, open_ended=last)
        segments.append(segment)
        cursor = segment.end
    return Scenario(start=start, scrape_interval=interval, segments=tuple(segments))


def _segment(entry: Any, where: str, begin: float, *, open_ended: bool) -> Segment:
    if not isinstance(entry, Mapping):
        raise ScenarioError(f"{where}: expected an object")
    unknown = sorted(str(k)[:40] for k in set(entry) - _SEGMENT_KEYS)
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {unknown[:5]}; expected {sorted(_SEGMENT_KEYS)}")
    if "for" in entry:
        end = begin + _duration(entry["for"], f"{where}.for").seconds
    elif open_ended:
        end = math.inf
    else:
        raise ScenarioError(f"{where}.for: required (only the last segment may last forever)")
    no_data = entry.get("noData", False)
    if not isinstance(no_data, bool):
        raise ScenarioError(f"{where}.noData: expected true or false")
    if no_data:
        if {"requestsPerSecond", "errorRatio"} & set(entry):
            raise ScenarioError(f"{where}: a noData segment has no requestsPerSecond or errorRatio")
        return Segment(begin, end, 0.0, 0.0, no_data=True)
    rate = _number(entry.get("requestsPerSecond"), f"{where}.requestsPerSecond", 0.0, MAX_RATE)
    ratio = _number(entry.get("errorRatio", 0.0), f"{where}.errorRatio", 0.0, 1.0)
    return Segment(begin, end, rate, ratio)


def _number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{where}: expected a number from {low:g} to {high:g}, got {str(value)[:40]!r}")
    if not low <= value <= high:
        raise ScenarioError(f"{where}: expected a number from {low:g} to {high:g}, got {value:g}")
    return float(value)


def _duration(value: Any, where: str) -> Window:
    try:
        return Window.parse(value)
    except (DurationError, TypeError) as err:
        raise ScenarioError(f"{where}: {err}") from None


def _start(value: Any, where: str, loaded_at: datetime) -> float:
    if isinstance(value, str) and value.startswith("-"):
        return loaded_at.timestamp() - _duration(value[1:], where).seconds
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(
            f"{where}: expected an RFC 3339 time or a negative offset like -7h, got {str(value)[:40]!r}"
        ) from None
    if moment.tzinfo is None:
        raise ScenarioError(f"{where}: expected a time zone (e.g. Z), got {str(value)[:40]!r}")
    return moment.timestamp()
