"""A cached decision is built and encoded once per evaluation, exactly as encoding it per call would."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from aegis.api._rest_response import json_bytes
from aegis.api.answers import DecideAnswers
from aegis.api.convert import evaluation_to_pb
from aegis.engine.model import Evaluation, SLIResult
from aegis.spec.durations import Window
from aegis.spec.model import Decision
from aegis.v1 import evaluation_pb2, gate_pb2


def _evaluation(evaluation_id: str = "e-1", decision: Decision = Decision.BLOCK) -> Evaluation:
    return Evaluation(
        evaluation_id=evaluation_id,
        slo_id="api-availability",
        service="api",
        environment="production",
        decision=decision,
        timestamp=datetime(2024, 5, 1, 12, tzinfo=UTC),
        ttl_seconds=30,
        sli=SLIResult(value=0.99, error_rate=0.01, budget_remaining=-9.0, window=Window.parse("30d")),
        reasons=("page: burn rate 20 over 5m and 1h",),
    )


def _answers(*live: str) -> DecideAnswers:
    return DecideAnswers(lambda: set(live) or {"api-availability"})


def test_answers_the_same_evaluation_with_the_same_bytes_computed_once() -> None:
    answers = _answers()
    evaluation = _evaluation()
    first = answers.answer(evaluation, requested_dry_run=False)
    again = answers.answer(evaluation, requested_dry_run=False)
    assert again is first
    assert first.wire() is first.wire()
    assert first.json() is first.json()


def test_answers_encode_exactly_what_a_per_call_encoding_gave() -> None:
    evaluation = _evaluation()
    encoded = _answers().answer(evaluation, requested_dry_run=False)
    expected = gate_pb2.DecideResponse(evaluation=evaluation_to_pb(evaluation))
    assert encoded.wire() == expected.SerializeToString()
    assert encoded.json() == json_bytes(expected)
    field = gate_pb2.DecideResponse.DESCRIPTOR.fields_by_name["evaluation"]
    assert encoded.json((field,)) == json_bytes(expected, (field,))


def test_answers_a_new_evaluation_of_the_slo_anew() -> None:
    answers = _answers()
    old = answers.answer(_evaluation("e-1", Decision.BLOCK), requested_dry_run=False)
    new = answers.answer(_evaluation("e-2", Decision.ALLOW), requested_dry_run=False)
    assert new is not old
    assert gate_pb2.DecideResponse.FromString(new.wire()).evaluation.evaluation_id == "e-2"
    assert new.message.evaluation.decision == evaluation_pb2.ALLOW


def test_answers_a_requested_dry_run_apart_from_the_real_answer() -> None:
    answers = _answers()
    evaluation = _evaluation()
    real = answers.answer(evaluation, requested_dry_run=False)
    trial = answers.answer(evaluation, requested_dry_run=True)
    assert real.message.evaluation.decision == evaluation_pb2.BLOCK
    assert trial.message.evaluation.decision == evaluation_pb2.ALLOW
    assert trial.message.evaluation.would_be_decision == evaluation_pb2.BLOCK
    assert answers.answer(evaluation, requested_dry_run=False) is real


def test_answers_forget_removed_slos_once_they_outnumber_the_live_ones() -> None:
    answers = DecideAnswers(lambda: {"kept"})
    kept = answers.answer(dataclasses.replace(_evaluation(), slo_id="kept"), requested_dry_run=False)
    for number in range(100):
        answers.answer(dataclasses.replace(_evaluation(), slo_id=f"gone-{number}"), requested_dry_run=False)
    assert len(answers._answers) <= 2 * 1 + 64 + 1
    assert answers._answers[("kept", False)][1] is kept
