"""One evaluation of one SLO: read the adapter within a time limit, then ask the engine.

Whatever the adapter does (hang, raise, report errors) the result is an Evaluation: a failure
becomes missing data, which the engine answers with WARN and the reason.

At most ``max_concurrent`` evaluations run at once; the others wait for a slot before their time
limit (and the adapter's budget) starts. Ten thousand SLOs evaluated together (a restart, a reload
of every file) would otherwise all start at once, and on a busy process each would spend its whole
budget waiting for the event loop: they queue instead, and each reads its data when its turn comes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime

from aegis.engine.policy import evaluate
from aegis.metrics.base import Measurement, MetricsAdapter
from aegis.scheduler.listeners import Evaluated
from aegis.scheduler.timing import Clock, utc_now
from aegis.spec.model import SLO
from aegis.telemetry import Telemetry

# Evaluations in flight at once: enough for whole families to share requests (``_batch``), few
# enough that each finishes within its time limit however many SLOs are due together.
DEFAULT_MAX_CONCURRENT = 500


class Evaluator:
    def __init__(
        self,
        adapter: MetricsAdapter,
        *,
        telemetry: Telemetry,
        clock: Clock = utc_now,
        timeout: float = 60.0,
        max_concurrent: int | None = DEFAULT_MAX_CONCURRENT,
        logger: logging.Logger | None = None,
    ) -> None:
        self.adapter = adapter
        self._slots = asyncio.Semaphore(max_concurrent) if max_concurrent else None
        self._telemetry = telemetry
        self._clock = clock
        self._timeout = timeout
        self._logger = logger or logging.getLogger(__name__)

    @property
    def timeout(self) -> float:
        """The hard limit on one read of the adapter; raised when a backend's own budget grows."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._timeout = seconds

    async def evaluate(self, slo: SLO) -> Evaluated:
        if self._slots is None:
            return await self._evaluate(slo)
        async with self._slots:
            return await self._evaluate(slo)

    async def _evaluate(self, slo: SLO) -> Evaluated:
        started = time.perf_counter()
        at = self._clock()
        measurement = await self._measure(slo, at)
        result = evaluate(slo, measurement, evaluation_id=str(uuid.uuid4()), now=self._clock())
        self._telemetry.evaluation_duration(slo.id, time.perf_counter() - started)
        error, kind = _first_error(measurement)
        return Evaluated(slo, result, error, kind)

    async def _measure(self, slo: SLO, at: datetime) -> Measurement:
        try:
            return await asyncio.wait_for(self.adapter.measure(slo, slo.windows, at), timeout=self._timeout)
        except TimeoutError:
            self._telemetry.adapter_failed(slo.id)
            error = f"metrics adapter timed out after {self._timeout:g}s"
            return Measurement(at=at, error=error, error_kind="evaluation_timeout")
        except Exception as err:
            self._telemetry.adapter_failed(slo.id)
            self._logger.exception("metrics adapter raised for %s", slo.id)
            error = f"metrics adapter failed: {type(err).__name__}: {err}"
            return Measurement(at=at, error=error, error_kind="exception")


def _first_error(measurement: Measurement) -> tuple[str | None, str | None]:
    """The first error and its kind; (None, None) for a clean read."""
    errors = [(measurement.error, measurement.error_kind)] if measurement.error else []
    errors += [(s.error, s.error_kind) for s in measurement.windows.values() if s.error]
    return errors[0] if errors else (None, None)
