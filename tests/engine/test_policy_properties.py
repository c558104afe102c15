"""Properties of the gate that must hold for any SLO and any measurement."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from aegis.engine.model import Evaluation
from aegis.engine.policy import evaluate
from aegis.metrics.base import Measurement, WindowSample
from aegis.spec.durations import Window
from aegis.spec.model import SLO, BurnRateRule, Decision
from tests.engine.factories import NOW, api_availability

WINDOW_POOL = [Window.parse(t) for t in ("1m", "5m", "30m", "1h", "6h", "1d", "3d")]
GATING_FLAGS = ("is_stale", "has_no_traffic", "has_missing_data", "has_too_few_data_points")


@st.composite
def burn_rate_rules(draw: st.DrawFn, index: int) -> BurnRateRule:
    short, long = sorted(draw(st.lists(st.sampled_from(WINDOW_POOL), min_size=2, max_size=2, unique=True)))
    return BurnRateRule(
        name=f"rule-{index}",
        short_window=short,
        long_window=long,
        threshold=draw(st.sampled_from([1.0, 2.0, 6.0, 14.4]) | st.floats(0.1, 100.0)),
        action=draw(st.sampled_from([Decision.WARN, Decision.BLOCK])),
    )


@st.composite
def slos(draw: st.DrawFn) -> SLO:
    count = draw(st.integers(min_value=1, max_value=4))
    return api_availability(
        objective=draw(st.sampled_from([0.9, 0.99, 0.995, 0.999]) | st.floats(0.5, 0.9999)),
        burn_rate_rules=tuple(draw(burn_rate_rules(i)) for i in range(count)),
        min_data_points=draw(st.integers(min_value=1, max_value=5)),
    )


def counts(total_min: float = 0.0) -> st.SearchStrategy[tuple[float, float]]:
    totals = st.sampled_from([0.0, 1.0, 100.0, 10_000.0]) | st.floats(0.0, 1e6)
    return st.tuples(totals.filter(lambda t: t >= total_min), st.floats(0.0, 1.0)).map(
        lambda pair: (pair[0] * pair[1], pair[0])
    )


@st.composite
def any_sample(draw: st.DrawFn) -> WindowSample | None:
    kind = draw(st.sampled_from(["absent", "empty", "error", "counted", "clamped", "negative"]))
    if kind == "absent":
        return None
    good: float | None
    total: float | None
    good, total = draw(counts())
    if kind == "empty":
        good, total = None, None
    elif kind == "clamped" and total is not None:
        good = total + draw(st.floats(0.5, 100.0))
    elif kind == "negative":
        good = -draw(st.floats(0.5, 100.0))
    return WindowSample(
        good=good,
        total=total,
        data_timestamp=draw(st.none() | st.timedeltas(timedelta(0), timedelta(minutes=30)).map(NOW.__sub__)),
        data_points=draw(st.none() | st.integers(0, 10)),
        longest_gap=draw(st.none() | st.timedeltas(timedelta(0), timedelta(minutes=20))),
        error="backend said no" if kind == "error" else None,
    )


@st.composite
def trusted_sample(draw: st.DrawFn) -> WindowSample:
    """Data the gate has no reason to doubt: present, with traffic, fresh, dense, without gaps."""
    good, total = draw(counts(total_min=1.0))
    return WindowSample(
        good=good,
        total=total,
        data_timestamp=NOW - draw(st.timedeltas(timedelta(0), timedelta(minutes=10))),
        data_points=draw(st.none() | st.integers(5, 100)),
    )


@st.composite
def anything(draw: st.DrawFn) -> tuple[SLO, Measurement]:
    slo = draw(slos())
    drawn = {window: draw(any_sample()) for window in slo.windows}
    windows = {window: s for window, s in drawn.items() if s is not None}
    error = draw(st.none() | st.just("query rejected"))
    return slo, Measurement(at=NOW, windows=windows, error=error)


@st.composite
def trusted(draw: st.DrawFn) -> tuple[SLO, Measurement]:
    slo = draw(slos())
    return slo, Measurement(at=NOW, windows={window: draw(trusted_sample()) for window in slo.windows})


def run(slo: SLO, measurement: Measurement) -> Evaluation:
    return evaluate(slo, measurement, evaluation_id="prop", now=NOW)


@given(anything())
def test_evaluate_rule_fires_iff_evaluated_and_both_burn_rates_reach_the_threshold(
    case: tuple[SLO, Measurement],
) -> None:
    for rule in run(*case).rules:
        both = rule.short_burn_rate >= rule.threshold and rule.long_burn_rate >= rule.threshold
        assert rule.fired == (rule.evaluated and both)
        assert rule.short_burn_rate >= 0 and rule.long_burn_rate >= 0


@given(anything())
def test_evaluate_never_allows_when_data_cannot_be_trusted(case: tuple[SLO, Measurement]) -> None:
    evaluation = run(*case)
    untrusted = any(getattr(evaluation, flag) for flag in GATING_FLAGS)
    if untrusted or not all(rule.evaluated for rule in evaluation.rules):
        assert evaluation.decision is not Decision.ALLOW
        assert evaluation.reasons and "all burn rate checks passed" not in evaluation.reasons


@given(anything())
def test_evaluate_decision_is_at_least_the_worst_fired_action(case: tuple[SLO, Measurement]) -> None:
    evaluation = run(*case)
    for rule in evaluation.rules:
        if rule.fired:
            assert evaluation.decision.severity >= rule.action.severity
    if any(rule.fired and rule.action is Decision.BLOCK for rule in evaluation.rules):
        assert evaluation.decision is Decision.BLOCK


@given(anything())
def test_evaluate_allow_has_exactly_the_one_reason(case: tuple[SLO, Measurement]) -> None:
    evaluation = run(*case)
    if evaluation.decision is Decision.ALLOW:
        assert evaluation.reasons == ("all burn rate checks passed",)
    else:
        assert evaluation.reasons
        assert len(set(evaluation.reasons)) == len(evaluation.reasons)


@given(anything())
def test_evaluate_sli_and_budget_stay_in_range(case: tuple[SLO, Measurement]) -> None:
    sli = run(*case).sli
    if sli is not None:
        assert 0.0 <= sli.value <= 1.0
        assert 0.0 <= sli.error_rate <= 1.0
        assert 0.0 <= sli.budget_remaining <= 1.0


@given(anything())
def test_evaluate_burn_rates_are_error_rate_over_budget(case: tuple[SLO, Measurement]) -> None:
    slo, measurement = case
    evaluation = run(slo, measurement)
    for text, burn in evaluation.burn_rates.items():
        sample = measurement.windows[Window.parse(text)]
        assert sample.good is not None and sample.total  # only windows with traffic have a burn rate
        error_rate = max(0.0, 1 - min(sample.good, sample.total) / sample.total)
        assert burn.burn_rate >= 0
        assert abs(burn.burn_rate - error_rate / (1 - slo.objective)) <= 1e-9 * max(1.0, burn.burn_rate)


@given(anything())
def test_evaluate_clamping_is_flagged_iff_a_window_had_more_good_than_total(
    case: tuple[SLO, Measurement],
) -> None:
    slo, measurement = case
    evaluation = run(slo, measurement)
    reported_more_good = any(
        s.has_data and s.good is not None and s.total is not None and s.good > s.total >= 0
        for window, s in measurement.windows.items()
        if window in slo.windows
    )
    assert evaluation.has_clamped_data == reported_more_good


@given(trusted(), st.data())
def test_evaluate_more_errors_never_lower_the_decision_on_trusted_data(
    case: tuple[SLO, Measurement], data: st.DataObject
) -> None:
    slo, measurement = case
    worse = {
        window: dataclasses.replace(s, good=(s.good or 0.0) * data.draw(st.floats(0.0, 1.0)))
        for window, s in measurement.windows.items()
    }
    before = run(slo, measurement)
    after = run(slo, dataclasses.replace(measurement, windows=worse))
    assert not any(getattr(before, flag) for flag in GATING_FLAGS)
    assert all(rule.evaluated for rule in before.rules)
    assert after.decision.severity >= before.decision.severity
    for earlier, later in zip(before.rules, after.rules, strict=True):
        assert later.short_burn_rate >= earlier.short_burn_rate
        assert later.long_burn_rate >= earlier.long_burn_rate
        assert later.fired or not earlier.fired
