"""What a replay covers: from, to and the step, bounded so that one request cannot ask for a year.

Steps fall at ``start + k * step`` up to ``end``. The error ratio a step shows is measured over
``error_ratio_window``: the step itself, but at least a minute, since a rate over a window
holding a single scrape is no rate at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aegis.metrics.base import FUTURE_TOLERANCE
from aegis.spec.durations import DurationError, Window

# Below Prometheus' 11,000 points per series, so a whole replay is one range query.
MAX_STEPS = 10_000
MIN_ERROR_RATIO_WINDOW = Window(60)


class SpanError(ValueError):
    """A span that cannot be replayed; the message says which bound and what was expected."""


@dataclass(frozen=True)
class ReplaySpan:
    start: datetime
    end: datetime
    step: Window

    @classmethod
    def checked(cls, start: datetime, end: datetime, step: Window, *, now: datetime) -> ReplaySpan:
        # Whole seconds: a replay is read and compared by people, and steps print as they fall.
        start, end = (moment.astimezone(UTC).replace(microsecond=0) for moment in (start, end))
        if end < start:
            raise SpanError(f"the end ({_shown(end)}) is before the start ({_shown(start)})")
        if end > now + FUTURE_TOLERANCE:
            raise SpanError(f"the end ({_shown(end)}) is in the future: history ends now ({_shown(now)})")
        span = cls(start, end, step)
        if span.count > MAX_STEPS:
            shortest = _rounded_up(math.ceil((end - start).total_seconds() / (MAX_STEPS - 1)))
            raise SpanError(
                f"{span.count} steps of {step.text} from {_shown(start)} to {_shown(end)}; at most "
                f"{MAX_STEPS}: use a step of at least {shortest.text} or a shorter span"
            )
        return span

    @property
    def count(self) -> int:
        return int((self.end - self.start).total_seconds() // self.step.seconds) + 1

    def times(self) -> list[datetime]:
        return [self.start + timedelta(seconds=k * self.step.seconds) for k in range(self.count)]

    @property
    def error_ratio_window(self) -> Window:
        return max(self.step, MIN_ERROR_RATIO_WINDOW)


def parse_step(text: str) -> Window:
    try:
        return Window.parse(text)
    except DurationError as err:
        raise SpanError(f"step: {err}") from None


def _rounded_up(seconds: int) -> Window:
    """A step people write: whole minutes above a minute, whole hours above an hour."""
    for unit in (86400, 3600, 60):
        if seconds > unit:
            return Window(math.ceil(seconds / unit) * unit)
    return Window(seconds)


def _shown(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
