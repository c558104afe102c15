"""Data age and collection gaps, read from the timeline of newest raw samples.

The timeline is ``max(timestamp(<selectors>))`` evaluated at every step over
the recent past: at each step, the time of the newest raw sample Prometheus can
see (within its lookback, 5m by default). The distinct values are raw sample
times actually collected; with a step no longer than the scrape interval that
is every collection, with a longer step a subset (gaps then read up to one step
too long). Steps that see nothing simply add no sample time, so a gap longer
than the lookback still shows as the distance between the samples around it.

    >>> longest_gap([100.0, 115.0, 190.0], window=120, end=200.0)
    75.0
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise


def sample_times(timeline: Iterable[float], newest: float | None) -> tuple[float, ...]:
    """Distinct raw sample times seen, oldest first; ``newest`` is the exact one at the evaluation time.

    The timeline's last step may fall before the evaluation time (Prometheus
    aligns subquery steps to multiples of the step), so the instant newest
    sample fills that tail.
    """
    seen = set(timeline)
    if newest is not None:
        seen.add(newest)
    return tuple(sorted(seen))


def longest_gap(times: Iterable[float], window: float, end: float) -> float:
    """Longest stretch without a sample inside ``(end - window, end]``, in seconds.

    The stretch from the window's start to its first sample and from the last
    sample to ``end`` count too: a window whose data stopped has a gap at its end.
    """
    start = end - window
    inside = [t for t in times if start < t <= end]
    edges = [start, *inside, end]
    return max(b - a for a, b in pairwise(edges))
