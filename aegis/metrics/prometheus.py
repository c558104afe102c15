"""A MetricsAdapter for anything that speaks the Prometheus HTTP API.

Prometheus, VictoriaMetrics, Thanos, Mimir and Cortex all answer
``/api/v1/query``. For one SLO and its windows the adapter asks two instant
queries at the same evaluation time (see ``_plan``): one for every good/total
value plus sample counts and the newest sample, one subquery timeline for data
age and gaps. It never raises for a backend problem: an unreachable, slow,
rate-limiting or confused server, or a query it refuses, becomes an ``error``
on the windows it concerns, which the engine turns into WARN with the reason.
Nothing broken is remembered, so the adapter recovers as soon as the backend
does. See docs/prometheus.md for the whole story.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from aegis.metrics._assembly import Read, assemble, split_parts
from aegis.metrics._batch import Batcher
from aegis.metrics._client import PrometheusClient, RequestStats
from aegis.metrics._long import LongWindows, aged
from aegis.metrics._plan import Part, Plan, build_plan, combine
from aegis.metrics._promql import TemplateError
from aegis.metrics._range import read_range
from aegis.metrics._recorded_parts import covers, is_value, recorded_parts, recorded_timeline
from aegis.metrics._response import QueryData, QueryFailure, QueryOutcome, UnusableResult, single_value
from aegis.metrics.base import Measurement, StepTimes
from aegis.metrics.prometheus_config import PrometheusConfig
from aegis.metrics.recorder import AdapterRecorder, NoopAdapterRecorder
from aegis.spec.durations import Window
from aegis.spec.model import DEFAULT_BACKEND, SLO

__all__ = ["PrometheusAdapter", "PrometheusConfig"]

_FIXTURE_PREFIX = "fixture:"
# A combined query refused as malformed is not sent again for this long; its parts go alone.
_REJECTED_MEMORY = 600.0
# Plans kept (one per distinct SLI, rules and windows): parsing PromQL every cycle costs more
# than the rest of an evaluation.
_PLANS_KEPT = 20_000


class PrometheusAdapter:
    """One pooled HTTP client for every SLO; close it with ``aclose()``."""

    def __init__(
        self,
        config: PrometheusConfig,
        *,
        recorder: AdapterRecorder | None = None,
        logger: logging.Logger | None = None,
        rng: random.Random | None = None,
        name: str = DEFAULT_BACKEND,
    ) -> None:
        self.config = config
        self._logger = logger or logging.getLogger(__name__)
        self._client = PrometheusClient(
            config,
            name=name,
            recorder=recorder or NoopAdapterRecorder(),
            rng=rng or random.Random(),
            logger=self._logger,
        )
        self._rejected: dict[str, float] = {}
        self._batcher = Batcher(
            self._client,
            window=config.batch_window,
            max_query_bytes=config.batch_max_query_bytes,
            max_members=config.batch_max_members,
            ttl=config.cache_ttl,
            clock=time.monotonic,
        )
        self._plans: dict[tuple[object, ...], Plan | TemplateError] = {}
        self._long = LongWindows(config.long_window_interval if config.combine_queries else 0.0, _PLANS_KEPT)

    @property
    def stats(self) -> RequestStats:
        return self._client.stats

    @property
    def requests_total(self) -> int:
        """HTTP requests sent so far, whatever their outcome."""
        return self._client.stats.requests_total

    @property
    def requests_by_outcome(self) -> Mapping[str, int]:
        return dict(self._client.stats.by_outcome)

    @property
    def closed(self) -> bool:
        """True once ``aclose`` ran (a backend retired by a reload is closed after its last read)."""
        return self._client.closed

    @property
    def batched_total(self) -> int:
        """SLO reads that joined another SLO's request (same family, same time) instead of sending one."""
        return self._batcher.batched_total

    async def aclose(self) -> None:
        self._batcher.cancel_all()
        await self._client.aclose()

    async def measure(self, slo: SLO, windows: Sequence[Window], at: datetime) -> Measurement:
        try:
            return await self._measure(slo, tuple(windows), at)
        except Exception as err:
            # The port must not raise; a bug here still ends as a WARN with a reason.
            self._logger.exception("the Prometheus adapter failed on SLO %s", slo.id)
            error = f"the Prometheus adapter failed: {type(err).__name__}: {err}"
            return Measurement(at=at, error=error, error_kind="exception")

    async def measure_range(
        self, slo: SLO, windows: Sequence[Window], steps: StepTimes, deadline: float
    ) -> list[Measurement]:
        """Every instant of a replay at once, from range queries (``_range``); never raises."""
        try:
            return await self._measure_range(slo, tuple(windows), steps, deadline)
        except Exception as err:
            self._logger.exception("the Prometheus adapter failed on a replay of SLO %s", slo.id)
            error = f"the Prometheus adapter failed: {type(err).__name__}: {err}"
            return [Measurement(at=when, error=error) for when in steps.times()]

    async def _measure_range(
        self, slo: SLO, windows: tuple[Window, ...], steps: StepTimes, deadline: float
    ) -> list[Measurement]:
        problem = _unsupported(slo)
        plan: Plan | None = None
        try:
            plan = self._plan(slo, windows) if problem is None else None
        except TemplateError as err:
            problem = f"SLO {slo.id}: {err}"
        if plan is None:
            return [Measurement(at=when, error=problem) for when in steps.times()]
        return await read_range(
            self._client,
            plan,
            windows,
            steps,
            deadline,
            combine_queries=self.config.combine_queries,
            logger=self._logger,
        )

    def _plan(self, slo: SLO, windows: tuple[Window, ...]) -> Plan:
        """The SLO's plan, built once per distinct SLI, rules, staleness limit and windows."""
        key = (slo.sli, slo.burn_rate_rules, slo.staleness_limit, windows)
        plan = self._plans.get(key)
        if plan is None:
            try:
                plan = build_plan(
                    slo,
                    windows,
                    max_range=self.config.timeline_max_range,
                    max_points=self.config.timeline_max_points,
                    min_step=self.config.timeline_min_step,
                )
            except TemplateError as err:
                plan = err
            if len(self._plans) >= _PLANS_KEPT:
                del self._plans[next(iter(self._plans))]
            self._plans[key] = plan
        if isinstance(plan, TemplateError):
            raise plan
        return plan

    async def _measure(self, slo: SLO, windows: tuple[Window, ...], at: datetime) -> Measurement:
        when = aligned(at, self.config.time_alignment)
        problem = _unsupported(slo)
        if problem is not None:
            return Measurement(at=when, error=problem, error_kind="unsupported_query")
        try:
            plan = self._plan(slo, windows)
        except TemplateError as err:
            return Measurement(at=when, error=f"SLO {slo.id}: {err}", error_kind="template")
        moment = when.timestamp()
        deadline = time.monotonic() + self.config.evaluation_budget
        batched = self._batches(plan)
        long_key = self._long.key(plan, batched)
        kept = self._long.kept(long_key, moment)
        parts = plan.short_parts if kept is not None else plan.parts
        if batched:
            template = plan.batched_short_values if kept is not None else plan.batched_values
            assert template is not None
            values = self._read_family(plan, template, parts, moment, deadline)
            times = self._read_family_timeline(slo, plan, moment, deadline)
        else:
            values = self._read_values(slo, parts, moment, deadline)
            times = self._read_timeline(slo, plan, moment, deadline)
        reads, timeline = await asyncio.gather(values, times)
        if kept is not None:
            reads.update(kept[1])
        elif long_key is not None:
            self._long.keep(long_key, plan, moment, reads)
        measurement = assemble(windows, plan, reads, timeline, when)
        if kept is not None:
            measurement = aged(measurement, plan, kept[0])
        for error in {s.error for s in measurement.windows.values() if s.error}:
            self._logger.warning("SLO %s: %s", slo.id, error)
        return measurement

    async def _read_values(
        self, slo: SLO, parts: Sequence[Part], at: float, deadline: float
    ) -> dict[str, Read]:
        """The plan's parts; with recorded series, good/total from them and the raw query where absent."""
        if not self.config.recorded_series:
            return await self._read_parts(parts, at, deadline)
        reads = await self._read_parts(
            recorded_parts(slo, parts, self.config.recorded_series_max_age), at, deadline
        )
        # A window whose good or total is not recorded is read raw, both values from one instant.
        absent = {
            p.window for p in parts if is_value(p) and (reads[p.key].value is None or reads[p.key].error)
        }
        missing = [p for p in parts if is_value(p) and p.window in absent]
        if missing:
            reads.update(await self._read_parts(missing, at, deadline))
        return reads

    def _batches(self, plan: Plan) -> bool:
        return (
            plan.family is not None
            and plan.batched_values is not None
            and self.config.combine_queries
            and self.config.batch_window > 0
            and not self._known_rejected(plan.batched_values)
            # Recorded series are read per SLO: already one cheap sample each.
            and not self.config.recorded_series
        )

    async def _read_family(
        self, plan: Plan, template: str, parts: Sequence[Part], at: float, deadline: float
    ) -> dict[str, Read]:
        """The SLO's share of its family's combined query; a refused one is read as this SLO's own."""
        assert plan.family is not None
        family = plan.family
        outcome = await self._batcher.read(template, family.label, family.value, at, deadline)
        if isinstance(outcome, QueryData):
            return split_parts(outcome, parts)
        if outcome.rejected:
            if outcome.status == 400 and plan.batched_values is not None:
                self._rejected[plan.batched_values] = time.monotonic() + _REJECTED_MEMORY
            self._logger.info("batched query refused (%s); asking for this SLO alone", outcome.detail)
            return await self._read_parts(parts, at, deadline)
        return {p.key: Read(error=outcome.detail, kind=outcome.outcome) for p in parts}

    async def _read_family_timeline(
        self, slo: SLO, plan: Plan, at: float, deadline: float
    ) -> tuple[float, ...] | None:
        assert plan.family is not None and plan.batched_timeline is not None
        family = plan.family
        outcome = await self._batcher.read(plan.batched_timeline, family.label, family.value, at, deadline)
        if isinstance(outcome, QueryFailure) and outcome.rejected:
            return await self._read_timeline(slo, plan, at, deadline)
        return self._timeline_times(slo, outcome)

    async def _read_parts(self, parts: Sequence[Part], at: float, deadline: float) -> dict[str, Read]:
        combinable = [p for p in parts if p.as_sample is not None]
        alone = [p for p in parts if p.as_sample is None]
        reads: dict[str, Read] = {}
        query = combine(combinable) if self.config.combine_queries and len(combinable) > 1 else None
        if query is not None and not self._known_rejected(query):
            outcome = await self._client.query(query, at, deadline)
            if isinstance(outcome, QueryData):
                reads.update(split_parts(outcome, combinable))
            elif outcome.rejected:
                # Ask each part alone: that finds which query (and window) is at fault. Only a
                # syntax error (400) is sure to repeat; 422 (e.g. too many samples) may not.
                if outcome.status == 400:
                    self._rejected[query] = time.monotonic() + _REJECTED_MEMORY
                self._logger.info("combined query refused (%s); asking its parts one by one", outcome.detail)
                alone = list(parts)
            else:
                reads.update({p.key: Read(error=outcome.detail, kind=outcome.outcome) for p in combinable})
        else:
            alone = list(parts)
        answers = await asyncio.gather(*(self._read_alone(p, at, deadline) for p in alone))
        reads.update({p.key: answer for p, answer in zip(alone, answers, strict=True)})
        return reads

    async def _read_alone(self, part: Part, at: float, deadline: float) -> Read:
        outcome = await self._client.query(part.query, at, deadline)
        if not isinstance(outcome, QueryData):
            if outcome.rejected:
                what = part.field if part.window is None else f"{part.field} for window {part.window}"
                return Read(error=f"Prometheus rejected the {what}: {outcome.detail}", kind=outcome.outcome)
            return Read(error=outcome.detail, kind=outcome.outcome)
        try:
            return Read(single_value(outcome))
        except UnusableResult as err:
            return Read(error=f"{part.field} for window {part.window}: {err}", kind="invalid_result")

    async def _read_timeline(
        self, slo: SLO, plan: Plan, at: float, deadline: float
    ) -> tuple[float, ...] | None:
        """Raw sample times seen over the plan's range; None when unknown (no selectors, failure)."""
        if plan.timeline is None:
            return None
        recorded = recorded_timeline(slo, plan) if self.config.recorded_series else None
        if recorded is not None:
            answer = await self._client.query(recorded, at, deadline)
            if isinstance(answer, QueryData) and answer.result_type == "matrix" and covers(answer, plan, at):
                return tuple(v for series in answer.series for _, v in series.points if math.isfinite(v))
        return self._timeline_times(slo, await self._client.query(plan.timeline, at, deadline))

    def _timeline_times(self, slo: SLO, outcome: QueryOutcome) -> tuple[float, ...] | None:
        if not isinstance(outcome, QueryData) or outcome.result_type != "matrix":
            detail = outcome.detail if not isinstance(outcome, QueryData) else outcome.result_type
            self._logger.warning(
                "SLO %s: data age and gaps unknown, timeline query failed: %s", slo.id, detail
            )
            return None
        return tuple(v for series in outcome.series for _, v in series.points if math.isfinite(v))

    def _known_rejected(self, query: str) -> bool:
        now = time.monotonic()
        for key in [k for k, until in self._rejected.items() if until <= now]:
            del self._rejected[key]
        return query in self._rejected


def aligned(at: datetime, grid: float) -> datetime:
    """``at`` in UTC rounded down to the grid (seconds), so SLOs evaluated moments apart share queries."""
    utc = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if grid <= 0:
        return utc
    return datetime.fromtimestamp(math.floor(utc.timestamp() / grid) * grid, UTC)


def _unsupported(slo: SLO) -> str | None:
    for name, query in (("good query", slo.sli.good_query), ("total query", slo.sli.total_query)):
        if query.strip().startswith(_FIXTURE_PREFIX):
            return (
                f"the {name} {query.strip()!r} names a synthetic fixture, which the Prometheus adapter "
                "cannot read; write a PromQL query or use the synthetic adapter"
            )
    return None
