"""Replays as the server offers them: bounded in time and in how many run at once.

The API's servicer and the status page ask a ``Replayer`` (built once by the Application around
the server's own metrics adapter), never the adapter itself. A replay gets the caller's time left,
at most ``max_seconds``; at most ``max_concurrent`` run at once and the others wait their turn
within their own time, so replays cannot crowd out the evaluations the gate serves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime

from aegis.metrics.base import MetricsAdapter
from aegis.replay.history import ReplayTimeout
from aegis.replay.runner import run_replay
from aegis.replay.span import ReplaySpan
from aegis.replay.timeline import Replay
from aegis.scheduler.timing import Clock, utc_now
from aegis.spec.durations import Window
from aegis.spec.model import SLO

DEFAULT_MAX_SECONDS = 60.0
DEFAULT_MAX_CONCURRENT = 2


class Replayer:
    def __init__(
        self,
        adapter: MetricsAdapter,
        *,
        clock: Clock = utc_now,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    ) -> None:
        self._adapter = adapter
        self.clock = clock
        self.max_seconds = max_seconds
        self._slots = asyncio.Semaphore(max_concurrent)

    def span(self, slo: SLO, start: datetime, end: datetime | None, step: Window | None) -> ReplaySpan:
        """The span to replay (end: now; step: the SLO's evaluationInterval); SpanError out of bounds."""
        now = self.clock()
        return ReplaySpan.checked(start, end or now, step or slo.evaluation_interval, now=now)

    async def replay(
        self, slo: SLO, span: ReplaySpan, overrides: Sequence[str] = (), *, time_left: float | None = None
    ) -> Replay:
        """OverrideError for a bad override; ReplayTimeout when out of time, waiting included."""
        seconds = self.max_seconds if time_left is None else min(time_left, self.max_seconds)
        deadline = time.monotonic() + seconds
        try:
            async with asyncio.timeout(seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise ReplayTimeout("other replays kept the server busy for the whole time allowed") from None
        try:
            return await run_replay(slo, self._adapter, span, overrides=tuple(overrides), deadline=deadline)
        finally:
            self._slots.release()
