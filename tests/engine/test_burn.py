"""The burn-rate arithmetic: formulas, ranges, and exactness on written decimals."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.engine.burn import ObjectiveError, burn_rate, error_budget, window_rates

objectives = st.floats(min_value=0.5, max_value=0.99999)
totals = st.floats(min_value=1e-6, max_value=1e12)
fractions = st.floats(min_value=0.0, max_value=1.0)


def test_burn_rate_readme_worked_example() -> None:
    # 7% of requests failing against 99.5% burns the budget 14 times too fast.
    assert burn_rate(0.07, 0.995) == pytest.approx(14.0)


def test_burn_rate_written_decimals_are_exact() -> None:
    # In plain floats 0.072 / (1 - 0.995) is 14.399999999999988, just under a 14.4 threshold.
    assert 0.072 / (1 - 0.995) < 14.4
    assert burn_rate(0.072, 0.995) == 14.4
    assert window_rates(928, 1000, 0.995).burn_rate == 14.4


@pytest.mark.parametrize(
    ("good", "total", "sli", "error_rate", "burn", "budget_remaining"),
    [
        (1000, 1000, 1.0, 0.0, 0.0, 1.0),
        (999, 1000, 0.999, 0.001, 0.2, 0.8),
        (995, 1000, 0.995, 0.005, 1.0, 0.0),
        (900, 1000, 0.9, 0.1, 20.0, 0.0),
        (0, 1000, 0.0, 1.0, 200.0, 0.0),
        (9.5, 10, 0.95, 0.05, 10.0, 0.0),
    ],
)
def test_window_rates_table(
    good: float, total: float, sli: float, error_rate: float, burn: float, budget_remaining: float
) -> None:
    rates = window_rates(good, total, 0.995)
    assert rates.sli == pytest.approx(sli)
    assert rates.error_rate == pytest.approx(error_rate)
    assert rates.burn_rate == pytest.approx(burn)
    assert rates.budget_remaining == pytest.approx(budget_remaining)


@pytest.mark.parametrize("objective", [0.0, 1.0, 1.5, -0.1, math.nan, math.inf])
def test_error_budget_rejects_objectives_without_a_budget(objective: float) -> None:
    with pytest.raises(ObjectiveError, match="objective must be above 0 and below 1"):
        error_budget(objective)


@pytest.mark.parametrize(("good", "total"), [(2, 1), (1, 0), (-1, 5), (1, math.nan), (math.inf, math.inf)])
def test_window_rates_refuses_counts_the_policy_should_have_filtered(good: float, total: float) -> None:
    with pytest.raises(ValueError, match="needs finite 0 <= good <= total"):
        window_rates(good, total, 0.995)


def test_burn_rate_negative_error_rate_is_zero() -> None:
    assert burn_rate(-0.5, 0.995) == 0.0


@given(total=totals, good_share=fractions, objective=objectives)
def test_window_rates_burn_rate_is_error_rate_over_budget(
    total: float, good_share: float, objective: float
) -> None:
    rates = window_rates(total * good_share, total, objective)
    assert rates.burn_rate >= 0
    assert rates.burn_rate == pytest.approx(rates.error_rate / (1 - objective), rel=1e-9, abs=1e-12)
    assert rates.burn_rate == pytest.approx(burn_rate(rates.error_rate, objective), rel=1e-9, abs=1e-12)


@given(total=totals, good_share=fractions, objective=objectives)
def test_window_rates_sli_error_rate_and_budget_stay_in_range(
    total: float, good_share: float, objective: float
) -> None:
    rates = window_rates(total * good_share, total, objective)
    assert 0.0 <= rates.sli <= 1.0
    assert 0.0 <= rates.error_rate <= 1.0
    assert 0.0 <= rates.budget_remaining <= 1.0
    assert rates.error_rate == pytest.approx(1 - rates.sli, abs=1e-12)
    assert rates.budget_remaining == pytest.approx(min(max(1 - rates.burn_rate, 0.0), 1.0), abs=1e-12)


@given(total=totals, shares=st.tuples(fractions, fractions), objective=objectives)
def test_window_rates_more_errors_never_burn_less(
    total: float, shares: tuple[float, float], objective: float
) -> None:
    fewer_errors, more_errors = max(shares), min(shares)
    calm = window_rates(total * fewer_errors, total, objective)
    burning = window_rates(total * more_errors, total, objective)
    assert burning.burn_rate >= calm.burn_rate
    assert burning.budget_remaining <= calm.budget_remaining
