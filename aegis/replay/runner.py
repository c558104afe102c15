"""A replay end to end: overrides, history, the engine at every step, the analysis.

Each step is the very evaluation the scheduler would have made at that instant (the engine's
``evaluate`` with ``now`` set to the step), so a replay shows the policy as it is, budget
policy included; in dry run it shows the policy's own decisions. Nothing is recorded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime

from aegis.engine.policy import evaluate
from aegis.engine.quality import read_window
from aegis.metrics.base import Measurement, MetricsAdapter, StepTimes
from aegis.replay.history import ReplayTimeout, measure_history
from aegis.replay.overrides import apply_overrides
from aegis.replay.span import ReplaySpan
from aegis.replay.timeline import Replay, ReplayStep, analyse
from aegis.spec.durations import Window
from aegis.spec.model import SLO

# How often (in steps) the engine loop looks at the clock.
_CLOCK_EVERY = 256


async def run_replay(
    slo: SLO,
    adapter: MetricsAdapter,
    span: ReplaySpan,
    *,
    overrides: tuple[str, ...] = (),
    deadline: float,
) -> Replay:
    """OverrideError for a bad override, ReplayTimeout past ``deadline`` (``time.monotonic()``)."""
    replayed = apply_overrides(slo, overrides)
    windows = tuple(sorted({*replayed.windows, span.error_ratio_window}))
    steps = StepTimes(span.start, span.step.seconds, span.count)
    measurements = await measure_history(adapter, replayed, windows, steps, deadline)
    # Thousands of evaluations are CPU work: off the event loop, so gate requests keep being served.
    return await asyncio.to_thread(_evaluate_all, replayed, span, measurements, overrides, deadline)


def _evaluate_all(
    slo: SLO,
    span: ReplaySpan,
    measurements: Sequence[Measurement],
    overrides: tuple[str, ...],
    deadline: float,
) -> Replay:
    ratio_window = span.error_ratio_window
    replay_steps: list[ReplayStep] = []
    for index, (at, measurement) in enumerate(zip(span.times(), measurements, strict=True)):
        if index % _CLOCK_EVERY == 0 and time.monotonic() > deadline:
            raise ReplayTimeout(f"evaluated {index} of {span.count} steps in the time allowed")
        replay_steps.append(_step(slo, measurement, at, ratio_window, index))
    return analyse(slo, span, replay_steps, overrides)


def _step(slo: SLO, measurement: Measurement, at: datetime, ratio_window: Window, index: int) -> ReplayStep:
    evaluation = evaluate(slo, measurement, evaluation_id=f"replay:{index}", now=at)
    rates = read_window(ratio_window, measurement.sample(ratio_window), slo.objective).rates
    return ReplayStep(
        at=at,
        evaluation=evaluation,
        error_ratio=rates.error_rate if rates is not None else None,
        burn_rate=rates.burn_rate if rates is not None else None,
    )
