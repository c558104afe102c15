"""The port between the scheduler and a metrics backend.

An adapter answers one question: for this SLO, at this instant, how many good
and total events fell in each window, and how trustworthy is that data? It
never decides anything; the engine does. Failures are data too: an adapter
does not raise for a backend problem, it returns a Measurement whose windows
carry ``error`` so that the engine can WARN with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from aegis.spec.durations import Window
from aegis.spec.model import SLO

# How far a data timestamp may lie ahead of the clock reading it (clock skew between
# hosts). Beyond it the data is from the future: never fresh, whatever its age says.
FUTURE_TOLERANCE = timedelta(minutes=1)


@dataclass(frozen=True)
class WindowSample:
    """Good and total events over one window, with what is known about their quality.

    ``good``/``total`` are None when the backend had no data for the window
    (an empty vector, NaN, a missing fixture): that is *no data*, never zero.
    """

    good: float | None
    total: float | None
    # Time of the newest raw sample behind the numbers; None when the adapter cannot tell.
    data_timestamp: datetime | None = None
    # Raw samples behind the window; None when the adapter cannot tell.
    data_points: int | None = None
    # Longest stretch without samples inside the window; None when unknown.
    longest_gap: timedelta | None = None
    # Why the window has no data, e.g. a backend error quoted verbatim.
    error: str | None = None
    # What kind of failure ``error`` is, a short label for metrics: timeout, rejected, ...
    error_kind: str | None = None

    @property
    def has_data(self) -> bool:
        return self.good is not None and self.total is not None and self.error is None


@dataclass(frozen=True)
class Measurement:
    """All windows of one evaluation, read at one instant (``at``)."""

    at: datetime
    windows: Mapping[Window, WindowSample] = field(default_factory=dict)
    # A failure that concerns the whole SLO rather than one window (e.g. a rejected query).
    error: str | None = None
    error_kind: str | None = None

    def sample(self, window: Window) -> WindowSample | None:
        return self.windows.get(window)


class MetricsAdapter(Protocol):
    """What the scheduler needs from a metrics backend."""

    async def measure(self, slo: SLO, windows: Sequence[Window], at: datetime) -> Measurement:
        """Read every window of ``slo`` at instant ``at``. Must not raise for backend failures."""
        ...

    async def aclose(self) -> None:
        """Release connections and other resources."""
        ...


@dataclass(frozen=True)
class StepTimes:
    """Evenly spaced instants: ``start``, ``start + step``, ... (``count`` of them)."""

    start: datetime
    step_seconds: int
    count: int

    def times(self) -> list[datetime]:
        return [self.start + timedelta(seconds=k * self.step_seconds) for k in range(self.count)]

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=(self.count - 1) * self.step_seconds)


@runtime_checkable
class RangeMetricsAdapter(Protocol):
    """An adapter that reads many instants at once (a replay of history): optional.

    The answer must equal ``measure()`` at each instant, failures included (as data, never
    raised); an adapter without this capability is asked one instant at a time.
    """

    async def measure_range(
        self, slo: SLO, windows: Sequence[Window], steps: StepTimes, deadline: float
    ) -> list[Measurement]:
        """One Measurement per instant of ``steps``; ``deadline`` is a ``time.monotonic()`` time."""
        ...


@runtime_checkable
class RoutingMetricsAdapter(Protocol):
    """An adapter that sends each SLO to another adapter (the backends router): optional.

    Callers that use an optional capability of the adapter behind it (``measure_range``) ask
    ``route`` first; None means the SLO names no configured backend (``measure`` says why).
    """

    def route(self, slo: SLO) -> MetricsAdapter | None: ...
