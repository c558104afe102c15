"""Long windows read less often: the compliance window need not be read every evaluation.

A 30d window reads a month of samples, a hundred times what a 6h window reads, yet when no rule
reads it and no budget policy gates on it, it decides nothing: it gives the SLI and budget left
that an evaluation reports. Such windows (``Plan.long_keys``) are read with the rest at most
every ``interval`` seconds per SLO (per family member); in between, an evaluation asks the values
query without them and keeps the last clean answer, whose time caps their data timestamp, so
their age is stated, never hidden. A failed read is not kept: the next evaluation reads again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime

from aegis.metrics._assembly import Read
from aegis.metrics._plan import Plan
from aegis.metrics.base import Measurement

_Key = tuple[str, str]


class LongWindows:
    def __init__(self, interval: float, max_entries: int) -> None:
        self._interval = interval
        self._max_entries = max_entries
        # (values query, family value) -> (when read, the long windows' reads)
        self._kept: dict[_Key, tuple[float, dict[str, Read]]] = {}

    def key(self, plan: Plan, batched: bool) -> _Key | None:
        """Where this SLO's long windows are kept; None when they are read every time."""
        if not plan.long_keys or self._interval <= 0:
            return None
        if batched and plan.family is not None and plan.batched_values is not None:
            return plan.batched_values, plan.family.value
        return (plan.short_values, "") if plan.short_values is not None else None

    def kept(self, key: _Key | None, at: float) -> tuple[float, dict[str, Read]] | None:
        """The kept reads if they are from before ``at`` and less than the interval old.

        At the very time they were read, the full query is asked again: it is the one the
        answer cache holds, so SLOs evaluated at the same instant still share one request.
        """
        found = self._kept.get(key) if key is not None else None
        if found is None or not found[0] < at < found[0] + self._interval:
            return None
        return found

    def keep(self, key: _Key, plan: Plan, at: float, reads: Mapping[str, Read]) -> None:
        found = {k: reads[k] for k in plan.long_keys if k in reads}
        if len(found) != len(plan.long_keys) or any(r.error is not None for r in found.values()):
            return
        if len(self._kept) >= self._max_entries:
            del self._kept[next(iter(self._kept))]
        self._kept[key] = (at, found)


def aged(measurement: Measurement, plan: Plan, read_at: float) -> Measurement:
    """Long windows kept from an earlier read say so: their data is no newer than that read."""
    stamp = datetime.fromtimestamp(read_at, UTC)
    windows = {
        window: (
            dataclasses.replace(sample, data_timestamp=min(sample.data_timestamp, stamp))
            if f"good:{window}" in plan.long_keys and sample.data_timestamp is not None
            else sample
        )
        for window, sample in measurement.windows.items()
    }
    return dataclasses.replace(measurement, windows=windows)
