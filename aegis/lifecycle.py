"""Serving, then draining: the state SIGTERM changes, and the calls still in flight.

On SIGTERM the server begins to drain: readiness turns false at once (``/readyz`` 503, gRPC health
NOT_SERVING), new calls are refused (UNAVAILABLE / 503), and the calls already running get a grace
period to finish (``wait_idle``). The request pipeline counts the calls in flight through
``track``; the server decides what to do when the grace runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

__all__ = ["Lifecycle"]


class Lifecycle:
    def __init__(self) -> None:
        self._draining = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def draining(self) -> bool:
        return self._draining

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def begin_drain(self) -> None:
        self._draining = True

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        """Counts one call in flight for as long as the block runs."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def wait_idle(self, grace: float) -> bool:
        """True once no call is in flight; False if some still are after ``grace`` seconds."""
        try:
            async with asyncio.timeout(grace):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True
