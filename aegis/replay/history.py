"""One measurement per replay step, from whatever adapter the server runs.

An adapter that can read many instants at once (``RangeMetricsAdapter``: Prometheus, with range
queries) is asked once for the whole span; any other (the synthetic one) is asked step by step,
a few steps at a time, exactly as the scheduler would have asked at each of those instants.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from aegis.metrics.base import (
    Measurement,
    MetricsAdapter,
    RangeMetricsAdapter,
    RoutingMetricsAdapter,
    StepTimes,
)
from aegis.spec.durations import Window
from aegis.spec.model import SLO

# Steps measured at once when asking one instant at a time.
CONCURRENCY = 8


class ReplayTimeout(Exception):
    """The replay ran out of time; the message says how far it got."""


async def measure_history(
    adapter: MetricsAdapter, slo: SLO, windows: Sequence[Window], steps: StepTimes, deadline: float
) -> list[Measurement]:
    """``deadline``: a ``time.monotonic()`` time; ReplayTimeout once it has passed."""
    if isinstance(adapter, RoutingMetricsAdapter):
        # Behind the backends router: the SLO's own backend may read a whole range at once.
        adapter = adapter.route(slo) or adapter
    if isinstance(adapter, RangeMetricsAdapter):
        measurements = await adapter.measure_range(slo, windows, steps, deadline)
    else:
        measurements = await _one_by_one(adapter, slo, windows, steps, deadline)
    if time.monotonic() > deadline:
        raise ReplayTimeout(f"reading {steps.count} steps of history took longer than the time allowed")
    return measurements


async def _one_by_one(
    adapter: MetricsAdapter, slo: SLO, windows: Sequence[Window], steps: StepTimes, deadline: float
) -> list[Measurement]:
    slots = asyncio.Semaphore(CONCURRENCY)
    times = steps.times()
    done = 0

    async def one(index: int) -> Measurement:
        nonlocal done
        async with slots:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReplayTimeout(f"read {done} of {steps.count} steps of history in the time allowed")
            async with asyncio.timeout(remaining):
                measurement = await adapter.measure(slo, windows, times[index])
            done += 1
            return measurement

    try:
        return list(await asyncio.gather(*(one(index) for index in range(steps.count))))
    except TimeoutError:
        raise ReplayTimeout(f"read {done} of {steps.count} steps of history in the time allowed") from None
