"""Time as the scheduler sees it: a wall clock for evaluations and a monotonic timer for waiting.

Both are ports so that tests (and replays) can skip time instead of sleeping, as temporalio's
time-skipping test environment does. Production uses ``SystemTime``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Timer(Protocol):
    """Monotonic seconds and a way to wait for some of them to pass."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemTime:
    """The event loop's clock and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))
