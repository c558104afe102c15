"""Burn-rate arithmetic, exact on the decimals people write.

SLO files say ``objective: 0.995`` and ``threshold: 14.4``; binary floats cannot
hold either. Done in floats, 7.2% errors against 99.5% give a burn rate of
14.399999999999988, and a 14.4 rule would not fire on exactly its threshold.
So every input is read as the shortest decimal that prints back to the same
float (its ``repr``), the arithmetic is done in rationals, and the result is
rounded to a float once, at the end. Rounding is monotonic, so comparing the
returned floats with a threshold gives the answer the decimals would give.

>>> round(burn_rate(0.07, 0.995), 6)
14.0
>>> burn_rate(0.072, 0.995)
14.4
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction


class ObjectiveError(ValueError):
    """An objective that leaves no error budget (or a negative one) to burn."""


@dataclass(frozen=True)
class WindowRates:
    """Everything one window's good/total counts say about the SLO."""

    # good / total, in [0, 1].
    sli: float
    # max(0, 1 - sli).
    error_rate: float
    # error_rate / (1 - objective): 1.0 spends the budget exactly over the compliance window.
    burn_rate: float
    # clamp(1 - burn_rate, 0, 1): the budget left if this window's error rate held all along.
    budget_remaining: float


def _exact(value: float) -> Fraction:
    return Fraction(repr(float(value)))


@functools.lru_cache(maxsize=1024)
def error_budget(objective: float) -> Fraction:
    """``1 - objective`` as an exact fraction; raises ObjectiveError unless 0 < objective < 1.

    Cached: every evaluation of an SLO asks for the same objective's budget, per window.
    """
    if not (math.isfinite(objective) and 0 < objective < 1):
        raise ObjectiveError(
            f"objective must be above 0 and below 1 (e.g. 0.995), got {objective!r}; "
            "an objective of 1 leaves no error budget to burn"
        )
    return 1 - _exact(objective)


def burn_rate(error_rate: float, objective: float) -> float:
    """How fast an error rate spends the budget: ``max(0, error_rate) / (1 - objective)``."""
    return float(max(_exact(error_rate), Fraction(0)) / error_budget(objective))


def window_rates(good: float, total: float, objective: float) -> WindowRates:
    """SLI, error rate, burn rate and budget left for one window.

    The caller clamps and filters first: this needs finite ``0 <= good <= total``
    and ``total > 0`` (a window with no traffic has no rates at all).
    """
    if not (math.isfinite(good) and math.isfinite(total) and 0 <= good <= total and total > 0):
        raise ValueError(f"window_rates needs finite 0 <= good <= total and total > 0, got {good}/{total}")
    sli = _exact(good) / _exact(total)
    error = max(1 - sli, Fraction(0))
    burn = error / error_budget(objective)
    remaining = min(max(1 - burn, Fraction(0)), Fraction(1))
    return WindowRates(
        sli=float(sli),
        error_rate=float(error),
        burn_rate=float(burn),
        budget_remaining=float(remaining),
    )
