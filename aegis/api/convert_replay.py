"""A Replay (aegis.replay.timeline) as the contract's ReplayResponse.

Used by the servicer and by ``aegis replay`` run locally, so the JSON a person reads from either
is the same document.
"""

from __future__ import annotations

from aegis.api.convert import decision_to_pb, slo_to_pb, timestamp_to_pb
from aegis.replay.timeline import Burn, Replay, ReplayStep, Transition
from aegis.spec.durations import Window
from aegis.spec.model import Decision
from aegis.v1 import replay_pb2


def replay_to_pb(replay: Replay, *, picture_svg: str = "") -> replay_pb2.ReplayResponse:
    return replay_pb2.ReplayResponse(
        slo=slo_to_pb(replay.slo),
        start_time=timestamp_to_pb(replay.span.start),
        end_time=timestamp_to_pb(replay.span.end),
        step=replay.span.step.text,
        error_ratio_window=replay.span.error_ratio_window.text,
        steps=[_step(step, replay.slo.window) for step in replay.steps],
        transitions=[_transition(t) for t in replay.transitions],
        burns=[_burn(burn) for burn in replay.burns],
        minutes_allowed=replay.minutes.get(Decision.ALLOW, 0.0),
        minutes_warned=replay.minutes.get(Decision.WARN, 0.0),
        minutes_blocked=replay.minutes.get(Decision.BLOCK, 0.0),
        overrides=list(replay.overrides),
        picture_svg=picture_svg,
    )


def _step(step: ReplayStep, compliance: Window) -> replay_pb2.ReplayStep:
    evaluation = step.evaluation
    message = replay_pb2.ReplayStep(
        timestamp=timestamp_to_pb(step.at),
        decision=decision_to_pb(evaluation.decision),
        burn_rates={window: burn.burn_rate for window, burn in evaluation.burn_rates.items()},
        fired_rules=[rule.name for rule in evaluation.rules if rule.fired],
    )
    if step.error_ratio is not None:
        message.error_ratio = step.error_ratio
    # The compliance window's budget only: an SLI from a shorter window (no compliance data) is not it.
    if evaluation.sli is not None and evaluation.sli.window == compliance:
        message.budget_remaining = evaluation.sli.budget_remaining
    return message


def _transition(transition: Transition) -> replay_pb2.ReplayTransition:
    return replay_pb2.ReplayTransition(
        timestamp=timestamp_to_pb(transition.at),
        previous_decision=decision_to_pb(transition.previous) if transition.previous else None,
        decision=decision_to_pb(transition.decision),
        reasons=list(transition.reasons),
    )


def _burn(burn: Burn) -> replay_pb2.ReplayBurn:
    message = replay_pb2.ReplayBurn(
        start_time=timestamp_to_pb(burn.start),
        detection_seconds=burn.detection_seconds or 0.0,
        reset_seconds=burn.reset_seconds or 0.0,
        peak_burn_rate=burn.peak_burn_rate,
        worst_decision=decision_to_pb(burn.worst_decision),
    )
    for field, moment in (
        ("end_time", burn.end),
        ("detected_time", burn.detected),
        ("reset_time", burn.reset),
    ):
        if moment is not None:
            getattr(message, field).CopyFrom(timestamp_to_pb(moment))
    return message
