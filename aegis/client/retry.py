"""When to try a call again: UNAVAILABLE only, a bounded number of times, with backoff and jitter.

UNAVAILABLE means the server did not act on the call (not listening, restarting, overloaded), so
trying again is safe; every RPC the clients make is a read (``Decide`` with ``fresh`` evaluates
again, which is what the caller asked for, and only adds an audit record). Other codes are final:
a NOT_FOUND stays NOT_FOUND, and after DEADLINE_EXCEEDED the caller's time is spent.

The delay is "full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in
[0, min(max_backoff, initial_backoff * multiplier ** retry)], so clients that failed together do
not come back together. The whole call, retries and waits included, stays within its timeout.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc

from aegis.client.errors import AegisError

__all__ = ["Attempts", "RetryPolicy"]

Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` counts the first try: 1 means never retry."""

    max_attempts: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0
    retryable: frozenset[grpc.StatusCode] = field(default=frozenset({grpc.StatusCode.UNAVAILABLE}))

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("backoffs must be >= 0 and the multiplier >= 1")

    def backoff_cap(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (0 for the first retry)."""
        return float(min(self.max_backoff, self.initial_backoff * self.multiplier**retry))

    def start(
        self,
        timeout: float | None,
        *,
        clock: Clock = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> Attempts:
        return Attempts(self, timeout, clock, rng)


NEVER_RETRY = RetryPolicy(max_attempts=1)


class Attempts:
    """The attempts of one call: how long each may take, and whether (and when) to try again."""

    def __init__(
        self, policy: RetryPolicy, timeout: float | None, clock: Clock, rng: Callable[[], float]
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._rng = rng
        self._deadline = None if timeout is None else clock() + timeout
        self.made = 0

    def timeout(self) -> float | None:
        """Seconds the next attempt may take: what is left of the call's timeout. Counts the attempt."""
        self.made += 1
        if self._deadline is None:
            return None
        return max(self._deadline - self._clock(), 0.0)

    def delay_before_retry(self, error: AegisError) -> float | None:
        """Seconds to wait before trying again, or None when ``error`` is final.

        Final when the code is not retryable, the attempts are used up, or the wait would run
        past the call's deadline (an attempt that cannot start in time is no attempt).
        """
        if error.code not in self._policy.retryable or self.made >= self._policy.max_attempts:
            return None
        delay = self._rng() * self._policy.backoff_cap(self.made - 1)
        if self._deadline is not None and self._clock() + delay >= self._deadline:
            return None
        return delay
