"""Evaluates every SLO on its own interval and keeps the latest result of each.

One task per SLO, so a slow or failing adapter for one SLO never stalls the
others. First evaluations are staggered over a short spread (not all at once,
and not a whole interval late, which would keep /readyz down for minutes);
later ones follow each SLO's interval from there. A fresh evaluation asked for
by many callers at once runs once: they all await the same task.

Data flows one way: SLO -> adapter -> engine -> cache + audit. The scheduler
never raises an adapter failure at its callers; it becomes a WARN with a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aegis.engine.model import Evaluation
from aegis.engine.policy import evaluate
from aegis.metrics.base import Measurement, MetricsAdapter
from aegis.spec.model import SLO
from aegis.store.writer import AuditWriter
from aegis.telemetry import Telemetry

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SLOState:
    """What the scheduler knows about one SLO right now."""

    latest: Evaluation | None
    # The last data-source error (e.g. a rejected query); None when the last evaluation read cleanly.
    last_error: str | None


class Scheduler:
    def __init__(
        self,
        slos: Sequence[SLO],
        adapter: MetricsAdapter,
        audit: AuditWriter,
        *,
        telemetry: Telemetry,
        clock: Clock = utc_now,
        evaluation_timeout: float = 60.0,
        startup_spread: float = 2.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self._slos = {slo.id: slo for slo in slos}
        self._adapter = adapter
        self._audit = audit
        self._telemetry = telemetry
        self._clock = clock
        self._evaluation_timeout = evaluation_timeout
        self._startup_spread = startup_spread
        self._logger = logger or logging.getLogger(__name__)
        self._latest: dict[str, Evaluation] = {}
        self._last_error: dict[str, str] = {}
        self._in_flight: dict[str, asyncio.Task[Evaluation]] = {}
        self._loops: list[asyncio.Task[None]] = []

    @property
    def slos(self) -> dict[str, SLO]:
        return dict(self._slos)

    def start(self) -> None:
        count = max(len(self._slos), 1)
        for index, slo in enumerate(sorted(self._slos.values(), key=lambda s: s.id)):
            delay = self._startup_spread * index / count
            self._loops.append(asyncio.create_task(self._loop(slo, delay), name=f"slo-loop:{slo.id}"))

    async def stop(self) -> None:
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops.clear()
        for evaluation in list(self._in_flight.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await evaluation

    def state(self, slo_id: str) -> SLOState:
        return SLOState(self._latest.get(slo_id), self._last_error.get(slo_id))

    def latest(self, slo_id: str) -> Evaluation | None:
        return self._latest.get(slo_id)

    def not_yet_evaluated(self) -> list[str]:
        return sorted(set(self._slos) - set(self._latest))

    async def evaluate_now(self, slo_id: str) -> Evaluation:
        """Evaluate ``slo_id`` now; concurrent callers share one evaluation. KeyError if unknown."""
        slo = self._slos[slo_id]
        task = self._in_flight.get(slo_id)
        if task is None:
            task = asyncio.create_task(self._evaluate(slo), name=f"evaluate:{slo_id}")
            self._in_flight[slo_id] = task
            task.add_done_callback(lambda _t: self._in_flight.pop(slo_id, None))
        # shield: a caller that gives up (deadline, disconnect) must not cancel the others' evaluation.
        return await asyncio.shield(task)

    async def current(self, slo_id: str) -> Evaluation:
        """The cached evaluation, or a fresh one when there is none yet."""
        cached = self._latest.get(slo_id)
        return cached if cached is not None else await self.evaluate_now(slo_id)

    async def _loop(self, slo: SLO, delay: float) -> None:
        await asyncio.sleep(delay)
        interval = slo.evaluation_interval.seconds
        loop = asyncio.get_running_loop()
        next_run = loop.time()
        while True:
            try:
                await self.evaluate_now(slo.id)
            except Exception:
                # evaluate() already turns adapter failures into WARN; this is a bug guard.
                self._logger.exception("evaluation of %s failed unexpectedly", slo.id)
            next_run += interval
            # After a long stall, skip missed runs rather than firing a burst of them.
            now = loop.time()
            if next_run < now:
                next_run = now + interval
            await asyncio.sleep(next_run - now)

    async def _evaluate(self, slo: SLO) -> Evaluation:
        at = self._clock()
        measurement = await self._measure(slo, at)
        result = evaluate(slo, measurement, evaluation_id=str(uuid.uuid4()), now=self._clock())
        self._latest[slo.id] = result
        self._record_error(slo.id, measurement)
        self._telemetry.evaluation(slo.id, result.decision)
        self._audit.submit(result)
        return result

    async def _measure(self, slo: SLO, at: datetime) -> Measurement:
        try:
            return await asyncio.wait_for(
                self._adapter.measure(slo, slo.windows, at), timeout=self._evaluation_timeout
            )
        except TimeoutError:
            self._telemetry.adapter_failed(slo.id)
            return Measurement(at=at, error=f"metrics adapter timed out after {self._evaluation_timeout:g}s")
        except Exception as err:
            self._telemetry.adapter_failed(slo.id)
            self._logger.exception("metrics adapter raised for %s", slo.id)
            return Measurement(at=at, error=f"metrics adapter failed: {type(err).__name__}: {err}")

    def _record_error(self, slo_id: str, measurement: Measurement) -> None:
        errors = [measurement.error] if measurement.error else []
        errors += [s.error for s in measurement.windows.values() if s.error]
        if errors:
            self._last_error[slo_id] = errors[0]
        else:
            self._last_error.pop(slo_id, None)
