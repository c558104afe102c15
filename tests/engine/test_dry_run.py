"""Dry run: the recorded evaluation keeps the real decision, the answer says ALLOW, both say why."""

from __future__ import annotations

from aegis.engine import dry_run
from aegis.engine.policy import evaluate
from aegis.spec.model import Decision
from tests.engine.factories import NOW, api_availability, measure

FAST = {"5m": 0.1, "1h": 0.0825}
FAST_FIRED = (
    "rule fast-burn fired (BLOCK): burn rate 20.0x over 5m and 16.5x over 1h, "
    "both at or above the threshold 14.4x"
)
SPEC_NOTICE = (
    "dry run (spec.dryRun): the gate answers ALLOW; outside a dry run it would answer BLOCK "
    "for the reasons that follow"
)


def test_dry_run_slo_records_the_real_decision_flagged() -> None:
    slo = api_availability(dry_run=True)
    recorded = evaluate(slo, measure(FAST, slo=slo), evaluation_id="ev", now=NOW)
    assert recorded.decision is Decision.BLOCK
    assert recorded.dry_run and recorded.would_be_decision is Decision.BLOCK
    assert recorded.reasons == (SPEC_NOTICE, FAST_FIRED)


def test_dry_run_answer_is_allow_with_the_would_be_decision() -> None:
    slo = api_availability(dry_run=True)
    recorded = evaluate(slo, measure(FAST, slo=slo), evaluation_id="ev", now=NOW)
    answer = dry_run.answer(recorded)
    assert answer.decision is Decision.ALLOW
    assert answer.dry_run and answer.would_be_decision is Decision.BLOCK
    assert answer.reasons == recorded.reasons
    assert answer.evaluation_id == recorded.evaluation_id
    assert dry_run.policy_decision(answer) is dry_run.policy_decision(recorded) is Decision.BLOCK


def test_dry_run_that_would_allow_keeps_the_one_allow_sentence() -> None:
    slo = api_availability(dry_run=True)
    recorded = evaluate(slo, measure(slo=slo), evaluation_id="ev", now=NOW)
    assert recorded.decision is Decision.ALLOW and recorded.would_be_decision is Decision.ALLOW
    assert recorded.reasons == ("all burn rate checks passed",)
    assert dry_run.answer(recorded).reasons == recorded.reasons


def test_dry_run_requested_for_an_enforced_slo_answers_allow_and_says_who_asked() -> None:
    slo = api_availability()
    recorded = evaluate(slo, measure(FAST, slo=slo), evaluation_id="ev", now=NOW)
    assert not recorded.dry_run and recorded.would_be_decision is None
    answer = dry_run.answer(recorded, requested=True)
    assert answer.decision is Decision.ALLOW and answer.would_be_decision is Decision.BLOCK
    assert answer.reasons[0].startswith("dry run (dryRun in the request): the gate answers ALLOW")
    assert answer.reasons[1:] == (FAST_FIRED,)


def test_dry_run_answer_outside_a_dry_run_is_the_evaluation_itself() -> None:
    slo = api_availability()
    recorded = evaluate(slo, measure(FAST, slo=slo), evaluation_id="ev", now=NOW)
    assert dry_run.answer(recorded) is recorded
