"""From the answers to the queries of a plan (``_plan``) to one Measurement at one instant.

Shared by the instant path (``PrometheusAdapter.measure``) and the range path of a replay
(``_range``), so that one step of a replay is assembled exactly as an evaluation at that time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aegis.metrics._evidence import longest_gap, sample_times
from aegis.metrics._plan import PART_LABEL, Part, Plan
from aegis.metrics._response import QueryData, UnusableResult, sum_values
from aegis.metrics.base import Measurement, WindowSample
from aegis.spec.durations import Window


@dataclass(frozen=True)
class Read:
    """One part's answer: a value (None = no data) or why there is none."""

    value: float | None = None
    error: str | None = None
    # The failure's counter label (QueryFailure.outcome, or invalid_result).
    kind: str | None = None


def split_parts(data: QueryData, parts: Sequence[Part]) -> dict[str, Read]:
    """The combined answer, back into parts; a part with no sample had no data."""
    by_key: dict[str, list[float]] = {}
    for sample in data.samples:
        by_key.setdefault(sample.labels.get(PART_LABEL, ""), []).append(sample.value)
    reads: dict[str, Read] = {}
    for part in parts:
        try:
            reads[part.key] = Read(sum_values(by_key[part.key]) if part.key in by_key else None)
        except UnusableResult as err:
            error = f"{part.field} for window {part.window}: {err}"
            reads[part.key] = Read(error=error, kind="invalid_result")
    return reads


def assemble(
    windows: Sequence[Window],
    plan: Plan,
    reads: Mapping[str, Read],
    timeline: tuple[float, ...] | None,
    when: datetime,
) -> Measurement:
    moment = when.timestamp()
    newest = reads.get("newest")
    newest_known = newest is not None and newest.error is None
    times = sample_times(timeline or (), newest.value if newest_known and newest else None)
    data_timestamp = datetime.fromtimestamp(max(times), UTC) if times else None
    samples: dict[Window, WindowSample] = {}
    for window in windows:
        good, total = reads[f"good:{window}"], reads[f"total:{window}"]
        error = good.error or total.error
        kind = good.kind if good.error else total.kind
        samples[window] = WindowSample(
            good=None if error else good.value,
            total=None if error else total.value,
            data_timestamp=data_timestamp,
            data_points=_points(reads.get(f"points:{window}")),
            longest_gap=(
                timedelta(seconds=longest_gap(times, window.seconds, moment))
                if timeline is not None and window in plan.evidence_windows
                else None
            ),
            error=error,
            error_kind=kind if error else None,
        )
    return Measurement(at=when, windows=samples)


def _points(read: Read | None) -> int | None:
    """Samples of the best-covered series; none at all (an empty answer) is 0."""
    if read is None or read.error is not None:
        return None
    return int(read.value) if read.value is not None else 0
