"""When to try a failed request again, and how long to wait first.

Exponential back-off with "equal jitter" (half the delay fixed, half random)
spreads retries of many evaluations apart without ever retrying at once. A
server's ``Retry-After`` wins over the back-off when it asks for longer, but
nothing waits past the evaluation's budget: an answer that comes too late to
use is not worth waiting for.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.2
    maximum: float = 5.0

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.maximum, self.initial * float(2 ** (retry - 1)))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds (``"5"``) or an HTTP date; None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
