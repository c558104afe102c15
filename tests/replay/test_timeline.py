"""The replay's analysis on hand-made steps: transitions, minutes, burns at the edges of a span."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aegis.engine.model import Evaluation, RuleOutcome
from aegis.replay.span import ReplaySpan
from aegis.replay.timeline import ReplayStep, analyse
from aegis.spec.durations import Window
from aegis.spec.model import Decision
from tests.engine.factories import api_availability

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SLO = api_availability(objective=0.999)  # lowest threshold 6 (slow-burn)


def step(minute: int, decision: Decision, burn: float | None, fired: bool = False) -> ReplayStep:
    rule = RuleOutcome("fast-burn", Window(300), Window(3600), 20.0, 20.0, 14.4, Decision.BLOCK, fired, True)
    evaluation = Evaluation(
        evaluation_id=f"e{minute}", slo_id=SLO.id, service="s", environment="e", decision=decision,
        timestamp=T0, ttl_seconds=60, sli=None, reasons=(decision.name,), rules=(rule,),
    )  # fmt: skip
    ratio = None if burn is None else burn * 0.001
    return ReplayStep(T0 + timedelta(minutes=minute), evaluation, ratio, burn)


def test_timeline_counts_the_last_step_until_the_end_of_the_span() -> None:
    steps = [step(0, Decision.ALLOW, 1), step(1, Decision.WARN, None), step(2, Decision.BLOCK, 1)]
    span = ReplaySpan(T0, T0 + timedelta(minutes=2, seconds=30), Window(60))
    replay = analyse(SLO, span, steps)
    assert replay.minutes == {Decision.ALLOW: 1, Decision.WARN: 1, Decision.BLOCK: 0.5}
    assert [(t.previous, t.decision, t.reasons) for t in replay.transitions] == [
        (None, Decision.ALLOW, ("ALLOW",)),
        (Decision.ALLOW, Decision.WARN, ("WARN",)),
        (Decision.WARN, Decision.BLOCK, ("BLOCK",)),
    ]


def test_timeline_a_burn_still_going_at_the_end_has_no_end_or_reset() -> None:
    steps = [
        step(0, Decision.ALLOW, 1),
        step(1, Decision.ALLOW, 50),
        step(2, Decision.BLOCK, 80, fired=True),
        step(3, Decision.BLOCK, 60, fired=True),
    ]
    [burn] = analyse(SLO, ReplaySpan(T0, T0 + timedelta(minutes=3), Window(60)), steps).burns
    assert (burn.start, burn.end, burn.detected, burn.reset) == (steps[1].at, None, steps[2].at, None)
    assert (burn.detection_seconds, burn.reset_seconds, burn.peak_burn_rate) == (60, None, 80)
    assert burn.worst_decision is Decision.BLOCK


def test_timeline_gaps_split_nothing_and_each_burn_looks_for_its_own_detection() -> None:
    steps = [
        step(0, Decision.ALLOW, 10),  # a burn no rule catches before the next one starts
        step(1, Decision.WARN, None),  # no data: not burning
        step(2, Decision.ALLOW, 7),
        step(3, Decision.BLOCK, 30, fired=True),
        step(4, Decision.BLOCK, 1, fired=True),
        step(5, Decision.ALLOW, 1),
    ]
    first, second = analyse(SLO, ReplaySpan(T0, T0 + timedelta(minutes=5), Window(60)), steps).burns
    assert (first.start, first.end, first.detected) == (steps[0].at, steps[1].at, None)
    assert first.worst_decision is Decision.ALLOW
    assert (second.start, second.end, second.detected, second.reset) == (
        steps[2].at, steps[4].at, steps[3].at, steps[5].at,
    )  # fmt: skip
    assert (second.detection_seconds, second.reset_seconds) == (60, 60)
