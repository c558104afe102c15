"""Ask once, answer many: single-flight plus a short-lived cache of good answers.

Several SLOs often read the same query at the same (aligned) instant. The
first caller's request is shared with everyone who asks while it is in flight,
and a successful answer is kept for ``ttl`` seconds for those who come later in
the same cycle. Failures are shared while in flight but never kept, so a
backend that comes back is used at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedResults(Generic[K, V]):
    def __init__(self, ttl: float, clock: Callable[[], float], max_entries: int = 4096) -> None:
        self._ttl = ttl
        self._clock = clock
        self._max_entries = max_entries
        self._cache: dict[K, tuple[float, V]] = {}
        self._in_flight: dict[K, asyncio.Task[V]] = {}

    async def get(
        self, key: K, produce: Callable[[], Awaitable[V]], keep: Callable[[V], bool]
    ) -> tuple[V, str]:
        """The value for ``key`` and how it was obtained: ``fresh``, ``shared`` or ``cached``."""
        cached = self._cache.get(key)
        if cached is not None:
            if cached[0] > self._clock():
                return cached[1], "cached"
            del self._cache[key]
        task = self._in_flight.get(key)
        if task is not None:
            return await asyncio.shield(task), "shared"
        task = asyncio.ensure_future(produce())
        self._in_flight[key] = task
        task.add_done_callback(lambda done: self._settle(key, done, keep))
        # shield: one caller giving up must not cancel the request the others wait for.
        return await asyncio.shield(task), "fresh"

    def _settle(self, key: K, task: asyncio.Task[V], keep: Callable[[V], bool]) -> None:
        self._in_flight.pop(key, None)
        if task.cancelled() or task.exception() is not None or self._ttl <= 0:
            return
        value = task.result()
        if keep(value):
            self._evict()
            self._cache[key] = (self._clock() + self._ttl, value)

    def _evict(self) -> None:
        now = self._clock()
        for key in [k for k, (expires, _) in self._cache.items() if expires <= now]:
            del self._cache[key]
        while len(self._cache) >= self._max_entries:
            del self._cache[next(iter(self._cache))]

    def cancel_all(self) -> None:
        for task in self._in_flight.values():
            task.cancel()
        self._in_flight.clear()
        self._cache.clear()
