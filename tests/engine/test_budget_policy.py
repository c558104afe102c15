"""The error-budget policy: BLOCK or WARN on the budget left, never ALLOW on a budget it cannot trust."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.engine.model import Evaluation
from aegis.engine.policy import evaluate
from aegis.metrics.base import Measurement, WindowSample
from aegis.spec.model import SLO, BudgetPolicy, Decision
from tests.engine.factories import NOW, TOTAL, api_availability, measure, sample

ALL_PASSED = "all burn rate checks passed"
POLICY = BudgetPolicy(block_below=0.1, warn_below=0.25)
# Objective 0.995: a 30d error rate of 0.0046 spends 92% of the budget (8% left), 0.004 leaves 20%.
EIGHT_LEFT, TWENTY_LEFT, HALF_LEFT = 0.0046, 0.004, 0.0025
FAST = {"5m": 0.1, "1h": 0.0825}


def slo(policy: BudgetPolicy | None = POLICY, **changes: object) -> SLO:
    return api_availability(budget_policy=policy, **changes)


def run(measurement: Measurement, subject: SLO) -> Evaluation:
    return evaluate(subject, measurement, evaluation_id="ev-1", now=NOW)


def test_budget_policy_allows_while_budget_is_above_both_thresholds() -> None:
    evaluation = run(measure({"30d": HALF_LEFT}, slo=slo()), slo())
    assert evaluation.decision is Decision.ALLOW
    assert evaluation.reasons == (ALL_PASSED,)
    assert evaluation.budget is not None
    assert evaluation.budget.action is Decision.ALLOW and not evaluation.budget.fired
    assert evaluation.budget.budget_remaining == pytest.approx(0.5)
    assert (evaluation.budget.block_below, evaluation.budget.warn_below) == (0.1, 0.25)


@pytest.mark.parametrize(
    ("error_rate", "decision", "reason"),
    [
        (
            TWENTY_LEFT,
            Decision.WARN,
            "error-budget policy (WARN): 20.0% of the 30d error budget left, below warnBelow 25.0%",
        ),
        (
            EIGHT_LEFT,
            Decision.BLOCK,
            "error-budget policy (BLOCK): 8.0% of the 30d error budget left, below blockBelow 10.0%",
        ),
    ],
)
def test_budget_policy_fires_below_its_thresholds_with_the_evidence(
    error_rate: float, decision: Decision, reason: str
) -> None:
    evaluation = run(measure({"30d": error_rate}, slo=slo()), slo())
    assert evaluation.decision is decision
    assert evaluation.reasons == (reason,)
    assert evaluation.budget is not None and evaluation.budget.action is decision


def test_budget_policy_threshold_itself_is_not_below_it() -> None:
    # 0.0045 over 30d leaves exactly 10%: not below blockBelow, but below warnBelow.
    evaluation = run(measure({"30d": 0.0045}, slo=slo()), slo())
    assert evaluation.budget is not None and evaluation.budget.budget_remaining == 0.1
    assert evaluation.decision is Decision.WARN


def test_budget_policy_with_only_warn_below_never_blocks() -> None:
    subject = slo(BudgetPolicy(warn_below=0.25))
    evaluation = run(measure({"30d": 0.00499}, slo=subject), subject)
    assert evaluation.decision is Decision.WARN


def test_budget_policy_reason_follows_fired_rules() -> None:
    evaluation = run(measure({**FAST, "30d": EIGHT_LEFT}, slo=slo()), slo())
    assert evaluation.decision is Decision.BLOCK
    assert [r.split(" ")[0:2] for r in evaluation.reasons] == [
        ["rule", "fast-burn"],
        ["error-budget", "policy"],
    ]


def test_budget_policy_without_compliance_data_is_not_evaluated_and_never_allows() -> None:
    evaluation = run(measure(slo=slo(), samples={"30d": None}), slo())
    assert evaluation.decision is Decision.WARN
    assert evaluation.budget is not None and not evaluation.budget.evaluated
    assert evaluation.budget.action is None and evaluation.budget.budget_remaining is None
    assert evaluation.has_missing_data
    assert evaluation.reasons == (
        "the measurement has no sample for the 30d window, so the error-budget policy could not be evaluated",
    )


def test_missing_compliance_window_alone_still_allows_without_a_budget_policy() -> None:
    evaluation = run(measure(slo=slo(None), samples={"30d": None}), slo(None))
    assert evaluation.decision is Decision.ALLOW and evaluation.budget is None


def test_budget_policy_on_a_stale_compliance_window_is_not_trusted() -> None:
    stale = sample(HALF_LEFT, age=timedelta(minutes=20))
    evaluation = run(measure(slo=slo(), samples={"30d": stale}), slo())
    assert evaluation.decision is Decision.WARN
    assert evaluation.is_stale
    assert evaluation.reasons == (
        "data for the 30d window is stale: the newest sample is from 2024-05-01T11:40:00Z, 20m old, "
        "older than the stalenessLimit 10m",
    )


def test_budget_policy_on_stale_data_still_blocks_a_spent_budget() -> None:
    stale = sample(EIGHT_LEFT, age=timedelta(minutes=20))
    evaluation = run(measure(slo=slo(), samples={"30d": stale}), slo())
    assert evaluation.decision is Decision.BLOCK and evaluation.is_stale
    assert evaluation.reasons[0].startswith("error-budget policy (BLOCK): 8.0%")


def test_budget_policy_on_a_compliance_window_without_traffic_warns() -> None:
    quiet = WindowSample(good=0, total=0, data_timestamp=NOW, data_points=60)
    evaluation = run(measure(slo=slo(), samples={"30d": quiet}), slo())
    assert evaluation.decision is Decision.WARN and evaluation.has_no_traffic
    assert evaluation.reasons == (
        "no requests in the 30d window, so the error-budget policy could not be evaluated",
    )


def test_budget_policy_on_too_few_data_points_warns_and_names_the_policy() -> None:
    subject = slo(min_data_points=5)
    thin = sample(HALF_LEFT, points=2)
    evaluation = run(measure(slo=subject, samples={"30d": thin}), subject)
    assert evaluation.decision is Decision.WARN and evaluation.has_too_few_data_points
    assert evaluation.reasons == (
        "only 2 data points in the 30d window (needed by the error-budget policy), "
        "fewer than minDataPoints 5",
    )


def test_budget_policy_shares_a_failed_window_reason_with_the_rules_that_need_it() -> None:
    # Windows that fail alike share one sentence, naming every rule and the policy that needed them.
    subject = slo()
    failed = WindowSample(good=None, total=None, error="timeout")
    samples = {"6h": failed, "30d": failed}
    evaluation = run(measure(slo=subject, samples=samples), subject)
    assert (
        'reading the 6h and 30d windows failed: "timeout", so rule slow-burn and the error-budget policy '
        "could not be evaluated"
    ) in evaluation.reasons


fractions = st.floats(min_value=0.001, max_value=1.0)


@given(error_share=st.floats(min_value=0, max_value=1), block=fractions, warn=fractions)
def test_budget_policy_never_decides_below_its_own_action(
    error_share: float, block: float, warn: float
) -> None:
    block, warn = sorted((block, warn))
    if block == warn:
        return
    subject = slo(BudgetPolicy(block_below=block, warn_below=warn))
    bad = round(error_share * 0.005 * TOTAL)
    counts = WindowSample(good=TOTAL - bad, total=TOTAL, data_timestamp=NOW, data_points=60)
    evaluation = run(measure(slo=subject, samples={"30d": counts}), subject)
    left = evaluation.budget.budget_remaining if evaluation.budget else None
    assert left is not None
    expected = Decision.BLOCK if left < block else Decision.WARN if left < warn else Decision.ALLOW
    assert evaluation.decision is expected
