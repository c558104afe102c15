"""The sentences an evaluation gives as its reasons, and how numbers read in them.

Reasons are read by a person deciding whether to deploy, so each one names the
window, the rule that needs it, and what was wrong, in words rather than codes.
Burn rates and thresholds print with the threshold's decimals (at least one),
so a rule that fired never shows a burn rate that reads below its threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from aegis.engine.model import RuleOutcome
from aegis.spec.durations import Window

ALL_PASSED = "all burn rate checks passed"
BUDGET_POLICY = "the error-budget policy"

_MAX_DECIMALS = 6
# Below this a burn rate prints as "<0.0001x" rather than as a long row of zeros.
_SMALLEST_SHOWN = 1e-4


def join_words(words: Sequence[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def threshold_decimals(threshold: float) -> int:
    """Decimals the threshold was written with, at least 1: 6 -> 1, 14.4 -> 1, 14.45 -> 2."""
    if not math.isfinite(threshold):
        return 1
    exponent = Decimal(repr(float(threshold))).as_tuple().exponent
    written = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return min(max(written, 1), _MAX_DECIMALS)


def format_rate(rate: float, decimals: int = 1) -> str:
    """A burn rate as ``20.0x``; below 0.1 two significant digits (``0.012x``), so small is not zero."""
    if not math.isfinite(rate):
        return f"{rate}x"
    if rate == 0 or abs(rate) >= 0.1:
        return f"{rate:.{decimals}f}x"
    if abs(rate) < _SMALLEST_SHOWN:
        return f"<{_SMALLEST_SHOWN:.4f}x"
    digits = max(decimals, 1 - math.floor(math.log10(abs(rate))))
    text = f"{rate:.{digits}f}".rstrip("0")
    return f"{text}x"


def format_count(value: float) -> str:
    """Event counts as the backend gave them: whole numbers without a fraction."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def format_duration(span: timedelta) -> str:
    """A measured duration in its two largest units, rounded down: ``14m30s``, ``1h5m``, ``3d2h``.

    Two units are as precise as a person needs next to a limit like ``10m``;
    an age of ``1047d1h16s`` says no more than ``1047d1h``.
    """
    seconds = int(span.total_seconds())
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for index, (unit, size) in enumerate(units):
        if seconds >= size:
            text = f"{seconds // size}{unit}"
            if index + 1 < len(units):
                smaller, smaller_size = units[index + 1]
                if rest := (seconds % size) // smaller_size:
                    text += f"{rest}{smaller}"
            return text
    return "0s"


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second: ``2024-05-01T11:40:00Z`` (naive times are taken as UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat(timespec="seconds").replace("+00:00", "Z")


def _windows(windows: Sequence[Window]) -> str:
    noun = "window" if len(windows) == 1 else "windows"
    return f"{join_words([w.text for w in windows])} {noun}"


def _rules(rules: Sequence[str], budget: bool = False) -> str:
    """``rule a``, ``rules a and b``, ``rule a and the error-budget policy``, ``the error-budget policy``."""
    noun = "rule" if len(rules) == 1 else "rules"
    named = [f"{noun} {join_words(rules)}"] if rules else []
    return " and ".join([*named, BUDGET_POLICY] if budget else named)


def rule_fired(rule: RuleOutcome) -> str:
    decimals = threshold_decimals(rule.threshold)
    return (
        f"rule {rule.name} fired ({rule.action.name}): "
        f"burn rate {format_rate(rule.short_burn_rate, decimals)} over {rule.short_window.text} "
        f"and {format_rate(rule.long_burn_rate, decimals)} over {rule.long_window.text}, "
        f"both at or above the threshold {format_rate(rule.threshold, decimals)}"
    )


def backend_failed(error: str) -> str:
    return f'the metrics backend failed for this SLO: "{error}"'


def window_absent(windows: Sequence[Window], rules: Sequence[str], *, budget: bool = False) -> str:
    return (
        f"the measurement has no sample for the {_windows(windows)}, "
        f"so {_rules(rules, budget)} could not be evaluated"
    )


def window_failed(
    windows: Sequence[Window], rules: Sequence[str], error: str, *, budget: bool = False
) -> str:
    return (
        f'reading the {_windows(windows)} failed: "{error}", '
        f"so {_rules(rules, budget)} could not be evaluated"
    )


def window_empty(windows: Sequence[Window], rules: Sequence[str], *, budget: bool = False) -> str:
    return (
        f"the metrics backend returned no data for the {_windows(windows)}, "
        f"so {_rules(rules, budget)} could not be evaluated"
    )


def window_invalid(
    window: Window, rules: Sequence[str], good: float, total: float, *, budget: bool = False
) -> str:
    return (
        f"the {window.text} window reported unusable counts "
        f"(good {format_count(good)}, total {format_count(total)}), treated as missing data, "
        f"so {_rules(rules, budget)} could not be evaluated"
    )


def no_traffic(windows: Sequence[Window], rules: Sequence[str], *, budget: bool = False) -> str:
    return f"no requests in the {_windows(windows)}, so {_rules(rules, budget)} could not be evaluated"


def stale(windows: Sequence[Window], newest: datetime, age: timedelta, limit: Window) -> str:
    return (
        f"data for the {_windows(windows)} is stale: the newest sample is from "
        f"{format_timestamp(newest)}, {format_duration(age)} old, "
        f"older than the stalenessLimit {limit.text}"
    )


def from_the_future(
    windows: Sequence[Window], newest: datetime, ahead: timedelta, tolerance: timedelta
) -> str:
    return (
        f"data for the {_windows(windows)} is not fresh: the newest sample is from "
        f"{format_timestamp(newest)}, {format_duration(ahead)} in the future, more than the "
        f"{format_duration(tolerance)} allowed for clock skew"
    )


def too_few_data_points(
    windows: Sequence[Window], rules: Sequence[str], points: int, minimum: int, *, budget: bool = False
) -> str:
    noun = "data point" if points == 1 else "data points"
    return (
        f"only {points} {noun} in the {_windows(windows)} (needed by {_rules(rules, budget)}), "
        f"fewer than minDataPoints {minimum}"
    )


def collection_gap(window: Window, rules: Sequence[str], gap: timedelta, limit: Window) -> str:
    return (
        f"collection gap of {format_duration(gap)} inside the {window.text} window of {_rules(rules)}, "
        f"longer than the stalenessLimit {limit.text}"
    )


def clamped(window: Window, good: float, total: float) -> str:
    return (
        f"the {window.text} window reported more good events ({format_count(good)}) "
        f"than total ({format_count(total)}); good was clamped to total"
    )


def format_fraction(value: float) -> str:
    """A share of the budget as a percentage with one decimal: 0.082 -> ``8.2%``."""
    return f"{value * 100:.1f}%"


def budget_policy_fired(action_name: str, left: float, window: Window, field: str, threshold: float) -> str:
    return (
        f"error-budget policy ({action_name}): {format_fraction(left)} of the {window.text} error budget "
        f"left, below {field} {format_fraction(threshold)}"
    )


def dry_run(policy_decision: str, source: str) -> str:
    """The first reason of a dry-run evaluation that would not have ALLOWed: what the gate does instead."""
    return (
        f"dry run ({source}): the gate answers ALLOW; outside a dry run it would answer "
        f"{policy_decision} for the reasons that follow"
    )
