"""The gate on named situations, for an SLO like the README's api-availability."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from aegis.engine.burn import ObjectiveError
from aegis.engine.model import Evaluation
from aegis.engine.policy import evaluate
from aegis.metrics.base import Measurement, WindowSample
from aegis.spec.model import SLO, Decision
from tests.engine.factories import (
    FAST_BURN,
    NOW,
    SLOW_BURN,
    TOTAL,
    api_availability,
    measure,
    rule,
    sample,
    w,
)

ALL_PASSED = "all burn rate checks passed"
FLAGS = ("is_stale", "has_no_traffic", "has_missing_data", "has_too_few_data_points", "has_clamped_data")
# Error rates per window: fast burn is 20x over 5m and 16.5x over 1h; slow burn 8x over 30m and 7x over 6h.
FAST = {"5m": 0.1, "1h": 0.0825, "30m": 0.05, "6h": 0.02}
SLOW = {"5m": 0.05, "1h": 0.04, "30m": 0.04, "6h": 0.035}
FAST_FIRED = (
    "rule fast-burn fired (BLOCK): burn rate 20.0x over 5m and 16.5x over 1h, "
    "both at or above the threshold 14.4x"
)
STALE = (
    "data for the 5m, 30m, 1h and 6h windows is stale: the newest sample is from "
    "2024-05-01T11:40:00Z, 20m old, older than the stalenessLimit 10m"
)
TWENTY_MINUTES = timedelta(minutes=20)
QUERY_ERROR = 'query timed out after 30s: "sum(rate(http_requests_total[6h]))"'


def run(measurement: Measurement, slo: SLO | None = None) -> Evaluation:
    return evaluate(slo or api_availability(), measurement, evaluation_id="ev-1", now=NOW)


def raised(evaluation: Evaluation) -> set[str]:
    return {flag for flag in FLAGS if getattr(evaluation, flag)}


SCENARIOS = [
    pytest.param(measure(), None, Decision.ALLOW, set(), (ALL_PASSED,), id="healthy"),
    pytest.param(measure(FAST), None, Decision.BLOCK, set(), (FAST_FIRED,), id="fast-burn"),
    pytest.param(
        measure(SLOW),
        None,
        Decision.BLOCK,
        set(),
        (
            "rule slow-burn fired (BLOCK): burn rate 8.0x over 30m and 7.0x over 6h, "
            "both at or above the threshold 6.0x",
        ),
        id="slow-burn",
    ),
    pytest.param(measure(age=TWENTY_MINUTES), None, Decision.WARN, {"is_stale"}, (STALE,), id="stale"),
    pytest.param(
        measure(age=-timedelta(hours=2)),
        None,
        Decision.WARN,
        {"is_stale"},
        (
            "data for the 5m, 30m, 1h and 6h windows is not fresh: the newest sample is from "
            "2024-05-01T14:00:00Z, 2h in the future, more than the 1m allowed for clock skew",
        ),
        id="data-from-the-future",
    ),
    pytest.param(
        measure(age=-timedelta(seconds=59)), None, Decision.ALLOW, set(), (ALL_PASSED,), id="clock-skew"
    ),
    pytest.param(
        measure(total=0),
        None,
        Decision.WARN,
        {"has_no_traffic"},
        (
            "no requests in the 5m, 30m, 1h and 6h windows, "
            "so rules fast-burn and slow-burn could not be evaluated",
        ),
        id="zero-traffic",
    ),
    pytest.param(measure({"5m": 0.5}), None, Decision.ALLOW, set(), (ALL_PASSED,), id="short-window-spike"),
    pytest.param(
        measure(FAST),
        api_availability(burn_rate_rules=(rule("fast-burn", "5m", "1h", 14.4, Decision.WARN), SLOW_BURN)),
        Decision.WARN,
        set(),
        (FAST_FIRED.replace("(BLOCK)", "(WARN)"),),
        id="warn-rule-fires",
    ),
    pytest.param(
        measure(FAST, age=TWENTY_MINUTES),
        None,
        Decision.BLOCK,
        {"is_stale"},
        (FAST_FIRED, STALE),
        id="stale-and-burning",
    ),
    pytest.param(
        measure(samples={"1h": None}),
        None,
        Decision.WARN,
        {"has_missing_data"},
        ("the measurement has no sample for the 1h window, so rule fast-burn could not be evaluated",),
        id="missing-window",
    ),
    pytest.param(
        measure(samples={"5m": WindowSample(good=None, total=None)}),
        None,
        Decision.WARN,
        {"has_missing_data"},
        ("the metrics backend returned no data for the 5m window, so rule fast-burn could not be evaluated",),
        id="empty-window",
    ),
    pytest.param(
        measure(samples={"6h": WindowSample(good=None, total=None, error=QUERY_ERROR)}),
        None,
        Decision.WARN,
        {"has_missing_data"},
        (f'reading the 6h window failed: "{QUERY_ERROR}", so rule slow-burn could not be evaluated',),
        id="window-error-quoted",
    ),
    pytest.param(
        measure(error="bad_data: 1:5: parse error: unexpected <by>"),
        None,
        Decision.WARN,
        {"has_missing_data"},
        ('the metrics backend failed for this SLO: "bad_data: 1:5: parse error: unexpected <by>"',),
        id="measurement-error-quoted",
    ),
    pytest.param(
        measure(
            samples={
                text: WindowSample(None, None, error="connection refused") for text in ("5m", "1h", "30m")
            }
        ),
        None,
        Decision.WARN,
        {"has_missing_data"},
        (
            'reading the 5m, 30m and 1h windows failed: "connection refused", '
            "so rules fast-burn and slow-burn could not be evaluated",
        ),
        id="same-error-told-once",
    ),
    pytest.param(
        measure(samples={"5m": sample(points=3)}),
        api_availability(min_data_points=10),
        Decision.WARN,
        {"has_too_few_data_points"},
        ("only 3 data points in the 5m window (needed by rule fast-burn), fewer than minDataPoints 10",),
        id="too-few-data-points",
    ),
    pytest.param(
        measure(samples={"30m": sample(gap=timedelta(minutes=14))}),
        None,
        Decision.WARN,
        {"has_missing_data"},
        (
            "collection gap of 14m inside the 30m window of rule slow-burn, "
            "longer than the stalenessLimit 10m",
        ),
        id="gap-in-short-window",
    ),
    pytest.param(
        measure(samples={"6h": sample(gap=timedelta(minutes=14))}),
        None,
        Decision.ALLOW,
        set(),
        (ALL_PASSED,),
        id="gap-in-long-window-only",
    ),
    pytest.param(
        measure(samples={"5m": WindowSample(good=-1, total=100)}),
        None,
        Decision.WARN,
        {"has_missing_data"},
        (
            "the 5m window reported unusable counts (good -1, total 100), treated as missing data, "
            "so rule fast-burn could not be evaluated",
        ),
        id="negative-counts",
    ),
    pytest.param(
        measure(samples={"5m": WindowSample(good=TOTAL + 10, total=TOTAL)}),
        None,
        Decision.ALLOW,
        {"has_clamped_data"},
        (ALL_PASSED,),
        id="clamped-alone-does-not-gate",
    ),
    pytest.param(
        measure(samples={"5m": WindowSample(good=TOTAL + 10, total=TOTAL), "6h": sample(total=0)}),
        None,
        Decision.WARN,
        {"has_clamped_data", "has_no_traffic"},
        (
            "no requests in the 6h window, so rule slow-burn could not be evaluated",
            "the 5m window reported more good events (10010) than total (10000); good was clamped to total",
        ),
        id="clamped-explained-when-gated",
    ),
    pytest.param(
        measure({"5m": 0.072, "1h": 0.072}),
        None,
        Decision.BLOCK,
        set(),
        (
            "rule fast-burn fired (BLOCK): burn rate 14.4x over 5m and 14.4x over 1h, "
            "both at or above the threshold 14.4x",
        ),
        id="exactly-at-threshold-fires",
    ),
    pytest.param(
        measure({"5m": 0.0719, "1h": 0.072}), None, Decision.ALLOW, set(), (ALL_PASSED,), id="just-below"
    ),
]


@pytest.mark.parametrize(("measurement", "slo", "decision", "flags", "reasons"), SCENARIOS)
def test_evaluate_scenario(
    measurement: Measurement,
    slo: SLO | None,
    decision: Decision,
    flags: set[str],
    reasons: tuple[str, ...],
) -> None:
    evaluation = run(measurement, slo)
    assert evaluation.decision is decision
    assert raised(evaluation) == flags
    assert evaluation.reasons == reasons


def test_evaluate_fast_burn_rule_outcomes() -> None:
    fast, slow = run(measure(FAST)).rules
    assert (fast.name, fast.fired, fast.evaluated) == ("fast-burn", True, True)
    assert (fast.short_burn_rate, fast.long_burn_rate, fast.threshold) == (20.0, 16.5, 14.4)
    assert (slow.name, slow.fired, slow.evaluated) == ("slow-burn", False, True)
    assert (slow.short_burn_rate, slow.long_burn_rate) == (10.0, 4.0)


def test_evaluate_unevaluated_rule_has_zero_burn_rate_for_the_missing_window() -> None:
    fast, slow = run(measure({"5m": 0.1}, samples={"1h": sample(total=0)})).rules
    assert (fast.evaluated, fast.fired) == (False, False)
    assert (fast.short_burn_rate, fast.long_burn_rate) == (20.0, 0.0)
    assert slow.evaluated


def test_evaluate_readme_worked_example() -> None:
    # Objective 99.5%, 7% of requests failing over 5m: burn rate 14, just under fast-burn's 14.4.
    evaluation = run(measure({"5m": 0.07}))
    assert evaluation.burn_rates["5m"].burn_rate == pytest.approx(14.0)
    assert evaluation.rules[0].short_burn_rate == pytest.approx(14.0)
    assert evaluation.decision is Decision.ALLOW


def test_evaluate_identity_fields_come_from_the_slo_and_now() -> None:
    newest = NOW - timedelta(seconds=30)
    evaluation = run(measure(samples={"6h": dataclasses.replace(sample(), data_timestamp=newest)}))
    assert (evaluation.evaluation_id, evaluation.slo_id) == ("ev-1", "api-availability")
    assert (evaluation.service, evaluation.environment) == ("api", "production")
    assert evaluation.timestamp == NOW
    assert evaluation.ttl_seconds == 300
    assert evaluation.data_timestamp == newest


def test_evaluate_data_timestamp_unknown_is_none() -> None:
    measurement = Measurement(at=NOW, windows={w("5m"): WindowSample(good=1.0, total=1.0)})
    assert run(measurement).data_timestamp is None


def test_evaluate_burn_rates_in_window_order_with_first_rules_threshold() -> None:
    slo = api_availability(
        burn_rate_rules=(
            rule("page", "1h", "6h", 6.0),
            rule("fast", "5m", "1h", 14.4),
            rule("ticket", "6h", "3d", 1.0, Decision.WARN),
        )
    )
    burn_rates = run(measure(slo=slo), slo).burn_rates
    assert list(burn_rates) == ["5m", "1h", "6h", "3d"]
    assert {text: burn.threshold for text, burn in burn_rates.items()} == {
        "5m": 14.4,
        "1h": 6.0,
        "6h": 6.0,
        "3d": 1.0,
    }
    assert all(burn.burn_rate == pytest.approx(0.2) for burn in burn_rates.values())


def test_evaluate_burn_rates_leave_out_windows_without_a_burn_rate() -> None:
    burn_rates = run(measure(samples={"5m": None, "6h": sample(total=0)})).burn_rates
    assert list(burn_rates) == ["30m", "1h"]


def test_evaluate_sli_over_the_compliance_window() -> None:
    sli = run(measure({"30d": 0.002, "6h": 0.1})).sli
    assert sli is not None
    assert sli.window == w("30d")
    assert sli.value == pytest.approx(0.998)
    assert sli.error_rate == pytest.approx(0.002)
    assert sli.budget_remaining == pytest.approx(0.6)


@pytest.mark.parametrize("compliance", [None, WindowSample(good=None, total=None), sample(total=0)])
def test_evaluate_sli_falls_back_to_the_longest_rule_window(compliance: WindowSample | None) -> None:
    sli = run(measure({"6h": 0.01, "1h": 0.1}, samples={"30d": compliance})).sli
    assert sli is not None
    assert sli.window == w("6h")
    assert sli.error_rate == pytest.approx(0.01)
    assert sli.budget_remaining == 0.0


def test_evaluate_sli_is_none_without_any_traffic() -> None:
    assert run(measure(total=0)).sli is None


def test_evaluate_compliance_window_problems_do_not_gate() -> None:
    # The 30d window feeds only the SLI summary; no rule needs it.
    evaluation = run(measure(samples={"30d": WindowSample(None, None, error="too many samples")}))
    assert evaluation.decision is Decision.ALLOW
    assert evaluation.sli is not None and evaluation.sli.window == w("6h")


def test_evaluate_stale_reasons_one_per_distinct_newest_time() -> None:
    old = sample(age=timedelta(minutes=25))
    evaluation = run(measure(age=TWENTY_MINUTES, samples={"6h": old}))
    assert evaluation.reasons == (
        "data for the 5m, 30m and 1h windows is stale: the newest sample is from "
        "2024-05-01T11:40:00Z, 20m old, older than the stalenessLimit 10m",
        "data for the 6h window is stale: the newest sample is from "
        "2024-05-01T11:35:00Z, 25m old, older than the stalenessLimit 10m",
    )


def test_evaluate_age_exactly_at_the_staleness_limit_is_fresh() -> None:
    assert not run(measure(age=timedelta(minutes=10))).is_stale


def test_evaluate_naive_timestamps_are_taken_as_utc() -> None:
    naive = NOW.replace(tzinfo=None) - TWENTY_MINUTES
    evaluation = run(measure(samples={"5m": dataclasses.replace(sample(), data_timestamp=naive)}))
    assert evaluation.is_stale
    assert evaluation.data_timestamp is not None


def test_evaluate_reasons_list_fired_rules_before_data_problems() -> None:
    evaluation = run(measure({**FAST, **SLOW, "5m": 0.1, "1h": 0.0825}, samples={"6h": None}))
    assert evaluation.decision is Decision.BLOCK
    assert evaluation.reasons[0].startswith("rule fast-burn fired (BLOCK)")
    assert evaluation.reasons[1:] == (
        "the measurement has no sample for the 6h window, so rule slow-burn could not be evaluated",
    )


@pytest.mark.parametrize("objective", [1.0, 0.0, 1.2])
def test_evaluate_objective_without_budget_is_a_clear_error(objective: float) -> None:
    with pytest.raises(ObjectiveError, match="SLO 'api-availability': objective must be above 0 and below 1"):
        run(measure(), api_availability(objective=objective))


def test_evaluate_slo_rules_keep_spec_order() -> None:
    slo = api_availability(burn_rate_rules=(SLOW_BURN, FAST_BURN))
    assert [r.name for r in run(measure(slo=slo), slo).rules] == ["slow-burn", "fast-burn"]
