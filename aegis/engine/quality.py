"""How far each window's data can be trusted, and what to tell a person when it cannot.

The gate must never ALLOW on data it cannot trust, yet a data problem must not
hide a real burn either (stale and burning still BLOCKs). So this module only
reads windows and reports flags with their reasons; the policy decides what
they do to the decision. Each distinct problem is told once: windows that fail
the same way share one sentence.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from aegis.engine import reasons as say
from aegis.engine.burn import WindowRates, window_rates
from aegis.metrics.base import FUTURE_TOLERANCE, Measurement, WindowSample
from aegis.spec.durations import Window
from aegis.spec.model import SLO

_Key = TypeVar("_Key")


class WindowStatus(enum.Enum):
    ABSENT = "absent"  # the measurement has no sample for the window
    FAILED = "failed"  # the adapter reported an error for it
    EMPTY = "empty"  # good or total is None: no data, which is not zero
    INVALID = "invalid"  # negative or non-finite counts
    NO_TRAFFIC = "no traffic"  # total == 0: nothing to compute a rate from
    COUNTED = "counted"  # usable counts with total > 0


@dataclass(frozen=True)
class WindowRead:
    """One window's sample, classified, with its rates when it has any."""

    window: Window
    status: WindowStatus
    sample: WindowSample | None = None
    rates: WindowRates | None = None
    # good > total was reported and good was lowered to total.
    clamped: bool = False


def read_window(window: Window, sample: WindowSample | None, objective: float) -> WindowRead:
    if sample is None:
        return WindowRead(window, WindowStatus.ABSENT)
    if sample.error is not None:
        return WindowRead(window, WindowStatus.FAILED, sample)
    good, total = sample.good, sample.total
    if good is None or total is None:
        return WindowRead(window, WindowStatus.EMPTY, sample)
    if not (math.isfinite(good) and math.isfinite(total)) or good < 0 or total < 0:
        return WindowRead(window, WindowStatus.INVALID, sample)
    clamped = good > total
    if total == 0:
        return WindowRead(window, WindowStatus.NO_TRAFFIC, sample, clamped=clamped)
    rates = window_rates(min(good, total), total, objective)
    return WindowRead(window, WindowStatus.COUNTED, sample, rates, clamped)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time is taken to be UTC already, so naive and aware times compare."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class DataQuality:
    reasons: tuple[str, ...] = ()
    is_stale: bool = False
    has_no_traffic: bool = False
    has_missing_data: bool = False
    has_too_few_data_points: bool = False
    # Flagged and explained, but not a reason to distrust the rest.
    has_clamped_data: bool = False

    @property
    def is_trusted(self) -> bool:
        """False when the gate must not ALLOW whatever the burn rates say."""
        return not (
            self.is_stale or self.has_no_traffic or self.has_missing_data or self.has_too_few_data_points
        )


def _rule_names(slo: SLO, windows: Iterable[Window], *, short_only: bool = False) -> list[str]:
    wanted = set(windows)
    return [
        rule.name
        for rule in slo.burn_rate_rules
        if rule.short_window in wanted or (not short_only and rule.long_window in wanted)
    ]


def _grouped(pairs: Iterable[tuple[_Key, Window]]) -> dict[_Key, list[Window]]:
    """Windows by a shared key, in order of first appearance."""
    groups: dict[_Key, list[Window]] = {}
    for key, window in pairs:
        groups.setdefault(key, []).append(window)
    return groups


def _needs_budget(slo: SLO, windows: Iterable[Window]) -> bool:
    """Whether the budget policy reads one of ``windows`` (it reads the compliance window)."""
    return slo.budget_policy is not None and slo.window in set(windows)


def _missing_reasons(slo: SLO, reads: Mapping[Window, WindowRead]) -> list[str]:
    """Gating windows without counts: every rule (or budget policy) needing one cannot be evaluated."""
    windows = slo.gating_windows
    found: list[str] = []
    absent = [w for w in windows if reads[w].status is WindowStatus.ABSENT]
    if absent:
        found.append(say.window_absent(absent, _rule_names(slo, absent), budget=_needs_budget(slo, absent)))
    failed = _grouped(
        (read.sample.error, w)
        for w in windows
        if (read := reads[w]).status is WindowStatus.FAILED and read.sample and read.sample.error is not None
    )
    for error, group in failed.items():
        found.append(
            say.window_failed(group, _rule_names(slo, group), error, budget=_needs_budget(slo, group))
        )
    empty = [w for w in windows if reads[w].status is WindowStatus.EMPTY]
    if empty:
        found.append(say.window_empty(empty, _rule_names(slo, empty), budget=_needs_budget(slo, empty)))
    for w in windows:
        sample = reads[w].sample
        invalid = reads[w].status is WindowStatus.INVALID
        if invalid and sample and sample.good is not None and sample.total is not None:
            found.append(
                say.window_invalid(
                    w, _rule_names(slo, [w]), sample.good, sample.total, budget=_needs_budget(slo, [w])
                )
            )
    return found


def _data_times(slo: SLO, reads: Mapping[Window, WindowRead]) -> dict[datetime, list[Window]]:
    """Gating windows by the time of their newest data, for windows that say."""
    return _grouped(
        (as_utc(read.sample.data_timestamp), w)
        for w in slo.gating_windows
        if (read := reads[w]).sample is not None and read.sample.data_timestamp is not None
    )


def _stale_reasons(slo: SLO, reads: Mapping[Window, WindowRead], now: datetime) -> list[str]:
    """One sentence per distinct newest-data time too old, or too far ahead, to vouch for now.

    Data from the future (beyond the clock-skew tolerance) is not fresh: a wrong
    clock, or a fixture that lies, must not make the gate trust it.
    """
    limit = timedelta(seconds=slo.staleness_limit.seconds)
    when = as_utc(now)
    found: list[str] = []
    for newest, group in _data_times(slo, reads).items():
        if when - newest > limit:
            found.append(say.stale(group, newest, when - newest, slo.staleness_limit))
        elif newest - when > FUTURE_TOLERANCE:
            found.append(say.from_the_future(group, newest, newest - when, FUTURE_TOLERANCE))
    return found


def _too_few_reasons(slo: SLO, reads: Mapping[Window, WindowRead]) -> list[str]:
    """Only windows that have counts: a window without data is already reported as missing."""
    by_points = _grouped(
        (read.sample.data_points, w)
        for w in slo.gating_windows
        if (read := reads[w]).status in (WindowStatus.COUNTED, WindowStatus.NO_TRAFFIC)
        and read.sample is not None
        and read.sample.data_points is not None
        and read.sample.data_points < slo.min_data_points
    )
    return [
        say.too_few_data_points(
            group, _rule_names(slo, group), points, slo.min_data_points, budget=_needs_budget(slo, group)
        )
        for points, group in by_points.items()
    ]


def _gap_reasons(slo: SLO, reads: Mapping[Window, WindowRead]) -> list[str]:
    """A gap longer than the staleness limit hides what a short window is meant to see."""
    limit = timedelta(seconds=slo.staleness_limit.seconds)
    found: list[str] = []
    for w in slo.rule_windows:
        sample = reads[w].sample
        rules = _rule_names(slo, [w], short_only=True)
        if rules and sample is not None and sample.longest_gap is not None and sample.longest_gap > limit:
            found.append(say.collection_gap(w, rules, sample.longest_gap, slo.staleness_limit))
    return found


def assess(
    slo: SLO, measurement: Measurement, reads: Mapping[Window, WindowRead], now: datetime
) -> DataQuality:
    """Flags and reasons for the gating windows (and clamping in any window read).

    The compliance window is a gating window only under a budget policy: then the budget
    it gives is trusted no more than its data, like any rule's burn rates.
    """
    backend = [say.backend_failed(measurement.error)] if measurement.error is not None else []
    missing = _missing_reasons(slo, reads)
    no_traffic = [w for w in slo.gating_windows if reads[w].status is WindowStatus.NO_TRAFFIC]
    quiet = (
        [say.no_traffic(no_traffic, _rule_names(slo, no_traffic), budget=_needs_budget(slo, no_traffic))]
        if no_traffic
        else []
    )
    stale = _stale_reasons(slo, reads, now)
    too_few = _too_few_reasons(slo, reads)
    gaps = _gap_reasons(slo, reads)
    clamped = [
        say.clamped(read.window, read.sample.good, read.sample.total)
        for read in reads.values()
        if read.clamped and read.sample and read.sample.good is not None and read.sample.total is not None
    ]
    return DataQuality(
        reasons=(*backend, *missing, *quiet, *stale, *too_few, *gaps, *clamped),
        is_stale=bool(stale),
        has_no_traffic=bool(quiet),
        has_missing_data=bool(backend or missing or gaps),
        has_too_few_data_points=bool(too_few),
        has_clamped_data=bool(clamped),
    )
