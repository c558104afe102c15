"""A replay's many instants as Prometheus range queries: the history path of the adapter.

One evaluation asks two instant queries (``PrometheusAdapter.measure``). A replay of N steps
asked that way costs 2N requests; here it costs two range queries however long the span:

* the plan's combined parts (good/total per window, sample counts, newest sample) over the
  replay's steps, each part coming back as its own series (``aegis_part`` label);
* the timeline's inner expression (the newest raw sample time) on the timeline's own grid, from
  the first step minus the timeline's reach to the last step, cut into chunks of at most
  10,000 points; each step then takes the grid points an instant subquery at that step would
  have seen.

Prometheus evaluates each step of a range query exactly as the instant query at that time, and
each step is assembled by the same code as ``measure`` (``_assembly``), so a replay sees what
the gate would have seen (tests/metrics/test_prometheus_range.py compares the two on real
history). The adapter's guarantees hold: a step without a sample is no data, never zero, and a
failed or refused query is an error on the steps and windows it concerns, never an exception.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC

from aegis.metrics._assembly import Read, assemble
from aegis.metrics._client import PrometheusClient
from aegis.metrics._plan import PART_LABEL, Part, Plan, combine
from aegis.metrics._response import QueryData, QueryOutcome, UnusableResult, sum_values
from aegis.metrics.base import Measurement, StepTimes
from aegis.spec.durations import Window

# Prometheus refuses a range query of more than 11,000 points per series.
MAX_POINTS = 10_000


@dataclass
class _PartSeries:
    """One part's values at every step (several series summed, as ``sum_values`` does)."""

    part: Part
    values: dict[int, list[float]] = field(default_factory=dict)
    error: str | None = None

    def at(self, moment: float) -> Read:
        if self.error is not None:
            return Read(error=self.error)
        values = self.values.get(_ms(moment))
        if values is None:
            return Read(None)
        try:
            return Read(sum_values(values))
        except UnusableResult as err:
            error = f"{self.part.field} for window {self.part.window}: {err}"
            return Read(error=error, kind="invalid_result")


@dataclass(frozen=True)
class _Timeline:
    grid: list[float]
    values: list[float]

    def within(self, low: float, high: float) -> tuple[float, ...]:
        """Sample times seen from grid points in [low, high], as the subquery at ``high`` sees them."""
        first = bisect.bisect_left(self.grid, low - 1e-6)
        last = bisect.bisect_right(self.grid, high + 1e-6)
        return tuple(self.values[first:last])


async def read_range(
    client: PrometheusClient,
    plan: Plan,
    windows: Sequence[Window],
    steps: StepTimes,
    deadline: float,
    *,
    combine_queries: bool,
    logger: logging.Logger,
) -> list[Measurement]:
    start, end = steps.start.timestamp(), steps.end.timestamp()
    series, timeline = await asyncio.gather(
        _read_parts(client, plan.parts, (start, end, steps.step_seconds), deadline, combine_queries, logger),
        _read_timeline(client, plan, start, end, deadline, logger),
    )
    measurements: list[Measurement] = []
    for when in steps.times():
        moment = when.timestamp()
        reads = {key: part.at(moment) for key, part in series.items()}
        seen = timeline.within(moment - plan.timeline_range, moment) if timeline is not None else None
        measurements.append(assemble(windows, plan, reads, seen, when.astimezone(UTC)))
    return measurements


_Range = tuple[float, float, int]


async def _read_parts(
    client: PrometheusClient,
    parts: Sequence[Part],
    span: _Range,
    deadline: float,
    combine_queries: bool,
    logger: logging.Logger,
) -> dict[str, _PartSeries]:
    combinable = [p for p in parts if p.as_sample is not None]
    alone = [p for p in parts if p.as_sample is None]
    found: dict[str, _PartSeries] = {}
    if combine_queries and len(combinable) > 1:
        outcome = await client.query_range(combine(combinable), *span, deadline)
        if isinstance(outcome, QueryData):
            found.update(_split(outcome, combinable))
        elif outcome.rejected:
            logger.info("combined range query refused (%s); asking its parts one by one", outcome.detail)
            alone = list(parts)
        else:
            found.update({p.key: _PartSeries(p, error=outcome.detail) for p in combinable})
    else:
        alone = list(parts)
    answers = await asyncio.gather(*(client.query_range(p.query, *span, deadline) for p in alone))
    found.update({p.key: _alone(p, answer) for p, answer in zip(alone, answers, strict=True)})
    return found


def _split(data: QueryData, parts: Sequence[Part]) -> dict[str, _PartSeries]:
    """The combined matrix, back into parts; a part without a series had no data at any step."""
    found = {p.key: _PartSeries(p) for p in parts}
    for series in data.series:
        part = found.get(series.labels.get(PART_LABEL, ""))
        if part is not None:
            _add_points(part, series.points)
    return found


def _alone(part: Part, outcome: QueryOutcome) -> _PartSeries:
    if not isinstance(outcome, QueryData):
        if outcome.rejected:
            what = part.field if part.window is None else f"{part.field} for window {part.window}"
            return _PartSeries(part, error=f"Prometheus rejected the {what}: {outcome.detail}")
        return _PartSeries(part, error=outcome.detail)
    found = _PartSeries(part)
    for series in outcome.series:
        _add_points(found, series.points)
    return found


def _add_points(part: _PartSeries, points: Sequence[tuple[float, float]]) -> None:
    for moment, value in points:
        part.values.setdefault(_ms(moment), []).append(value)


async def _read_timeline(
    client: PrometheusClient, plan: Plan, start: float, end: float, deadline: float, logger: logging.Logger
) -> _Timeline | None:
    """The newest raw sample time on the timeline's grid; None when unknown (as ``measure``)."""
    if plan.newest is None or plan.timeline_step <= 0:
        return None
    step = plan.timeline_step
    # The subquery at a step t evaluates at the multiples of its step within [t - range, t].
    first = math.ceil((start - plan.timeline_range) / step) * step
    last = math.floor(end / step) * step
    chunks = [
        (low, min(low + step * (MAX_POINTS - 1), last)) for low in range(first, last + 1, step * MAX_POINTS)
    ]
    outcomes = await asyncio.gather(
        *(client.query_range(plan.newest, a, b, step, deadline) for a, b in chunks)
    )
    points: list[tuple[float, float]] = []
    for outcome in outcomes:
        if not isinstance(outcome, QueryData) or outcome.result_type != "matrix":
            detail = outcome.detail if not isinstance(outcome, QueryData) else outcome.result_type
            logger.warning("replay: data age and gaps unknown, timeline query failed: %s", detail)
            return None
        points += [(t, v) for series in outcome.series for t, v in series.points if math.isfinite(v)]
    points.sort()
    return _Timeline([t for t, _ in points], [v for _, v in points])


def _ms(moment: float) -> int:
    return round(moment * 1000)
