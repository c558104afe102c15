"""--set: the small grammar, only the policy, held to exactly what a file is."""

from __future__ import annotations

import dataclasses

import pytest

from aegis.replay.overrides import MAX_OVERRIDES, OverrideError, apply_overrides
from aegis.spec.document import aegis_document
from aegis.spec.formats.aegis_v1 import AEGIS_V1
from aegis.spec.loader import load_directory
from aegis.spec.model import SLO, BudgetPolicy, Decision
from tests.spec.samples import VALID_DIR


@pytest.fixture(scope="module")
def slos() -> dict[str, SLO]:
    return {slo.id: slo for slo in load_directory(VALID_DIR).slos}


def test_document_of_every_shipped_slo_builds_the_same_slo(slos: dict[str, SLO]) -> None:
    for slo in slos.values():
        document = aegis_document(slo)
        assert AEGIS_V1.structure_issues(document) == [], slo.id
        [built] = AEGIS_V1.build(document, slo.source_file)
        assert dataclasses.replace(built.slo, api_version=slo.api_version) == slo


def test_overrides_change_the_policy_by_position_or_rule_name(slos: dict[str, SLO]) -> None:
    slo = slos["api-availability"]
    changed = apply_overrides(
        slo,
        [
            "rules[0].threshold=10",
            "rules[slow-burn].action=WARN",
            "spec.burnPolicy.rules[1].shortWindow=30m",
            "objective=0.999",
            "budgetPolicy.blockBelow=0.2",
            "gating.stalenessLimit=5m",
        ],
    )
    fast, slow = changed.burn_rate_rules
    assert (fast.threshold, slow.action, slow.short_window.text) == (10.0, Decision.WARN, "30m")
    assert changed.objective == 0.999 and changed.staleness_limit.text == "5m"
    assert changed.budget_policy == BudgetPolicy(block_below=0.2)
    # Everything else is untouched.
    assert (changed.id, changed.sli, changed.source_file) == (slo.id, slo.sli, slo.source_file)
    assert apply_overrides(slo, []) is slo


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("rules[0].threshold", "expected PATH=VALUE"),
        ("rules[5].threshold=1", "no item 5 (2 in burnPolicy.rules)"),
        ("rules[nope].threshold=1", "no rule named 'nope'; rules: fast-burn, slow-burn"),
        ("sli.good.prometheusQuery=up", "only these fields can be set"),
        ("environment=staging", "only these fields can be set"),
        ("metadata.id=other", "metadata cannot be changed"),
        ("rules[0].threshold=[1, 2]", "expected a value such as 10"),
        ("rules[0].threshold=", "expected a value such as 10"),
        ("a..b=1", "is not a field name"),
        (
            "rules[0].threshold=-1",
            "spec.burnPolicy.rules[0].threshold: expected a burn rate from 0.0001 to 100000",
        ),
        ("rules[0].shortWindow=2h", "expected shortWindow shorter than longWindow (1h), found 2h"),
        ("objective=99.5", "spec.objective: expected a fraction strictly between 0 and 1"),
        ("rules[0].action=STOP", "spec.burnPolicy.rules[0].action: expected one of 'ALLOW', 'WARN', 'BLOCK'"),
        (
            "budgetPolicy.warnBelow=1.5",
            "spec.budgetPolicy.warnBelow: expected a fraction of the error budget",
        ),
    ],
)
def test_overrides_refuse_with_a_message_that_says_why(
    slos: dict[str, SLO], override: str, message: str
) -> None:
    with pytest.raises(OverrideError) as raised:
        apply_overrides(slos["api-availability"], [override])
    assert message in str(raised.value)


def test_overrides_are_checked_together(slos: dict[str, SLO]) -> None:
    with pytest.raises(OverrideError, match="expected warnBelow above blockBelow"):
        apply_overrides(slos["payments-budget-policy"], ["budgetPolicy.warnBelow=0.05"])
    assert apply_overrides(
        slos["payments-budget-policy"], ["budgetPolicy.blockBelow=0.01", "budgetPolicy.warnBelow=0.05"]
    ).budget_policy == BudgetPolicy(0.01, 0.05)


def test_overrides_are_bounded(slos: dict[str, SLO]) -> None:
    with pytest.raises(OverrideError, match=f"at most {MAX_OVERRIDES} overrides"):
        apply_overrides(slos["api-availability"], ["objective=0.99"] * (MAX_OVERRIDES + 1))
    with pytest.raises(OverrideError, match="longer than 300 characters"):
        apply_overrides(slos["api-availability"], ["objective=" + "9" * 400])
