"""From one evaluation per step to what a person asks of a replay. Pure: no I/O, no clock.

* **transitions**: each step whose decision differs from the one before, with its reasons;
* **minutes** in each decision: a step's decision holds until the next step (the last one
  until the end of the span);
* **burns**: runs of steps whose error ratio (over the span's error-ratio window) spent the
  budget at or above the lowest rule threshold, the rate the policy is there to catch. A burn
  is *detected* at the first step from its start at which a rule fired, and *reset* at the
  first step after that at which no rule fires any more: the time the gate took to close, and
  the time it stayed closed after the errors stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aegis.engine.model import Evaluation
from aegis.replay.span import ReplaySpan
from aegis.spec.model import SLO, Decision


@dataclass(frozen=True)
class ReplayStep:
    at: datetime
    evaluation: Evaluation
    # Over the span's error-ratio window; None without usable data.
    error_ratio: float | None = None
    # error_ratio / (1 - objective).
    burn_rate: float | None = None

    @property
    def fired(self) -> bool:
        return any(rule.fired for rule in self.evaluation.rules)


@dataclass(frozen=True)
class Transition:
    at: datetime
    # None for the first step.
    previous: Decision | None
    decision: Decision
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Burn:
    start: datetime
    # The first step after the burn; None when it lasted to the end of the span.
    end: datetime | None
    detected: datetime | None
    reset: datetime | None
    peak_burn_rate: float
    worst_decision: Decision

    @property
    def detection_seconds(self) -> float | None:
        return (self.detected - self.start).total_seconds() if self.detected is not None else None

    @property
    def reset_seconds(self) -> float | None:
        if self.reset is None or self.end is None:
            return None
        return max((self.reset - self.end).total_seconds(), 0.0)


@dataclass(frozen=True)
class Replay:
    slo: SLO
    span: ReplaySpan
    steps: tuple[ReplayStep, ...]
    overrides: tuple[str, ...] = ()
    transitions: tuple[Transition, ...] = ()
    burns: tuple[Burn, ...] = ()
    minutes: Mapping[Decision, float] = field(default_factory=dict)


def analyse(slo: SLO, span: ReplaySpan, steps: Sequence[ReplayStep], overrides: Sequence[str] = ()) -> Replay:
    return Replay(
        slo=slo,
        span=span,
        steps=tuple(steps),
        overrides=tuple(overrides),
        transitions=transitions(steps),
        burns=burns(slo, steps),
        minutes=minutes(span, steps),
    )


def transitions(steps: Sequence[ReplayStep]) -> tuple[Transition, ...]:
    found: list[Transition] = []
    previous: Decision | None = None
    for step in steps:
        decision = step.evaluation.decision
        if decision is not previous:
            found.append(Transition(step.at, previous, decision, step.evaluation.reasons))
        previous = decision
    return tuple(found)


def minutes(span: ReplaySpan, steps: Sequence[ReplayStep]) -> dict[Decision, float]:
    held = dict.fromkeys(Decision, 0.0)
    for index, step in enumerate(steps):
        until = steps[index + 1].at if index + 1 < len(steps) else span.end
        held[step.evaluation.decision] += max((until - step.at).total_seconds(), 0.0) / 60
    return held


def burns(slo: SLO, steps: Sequence[ReplayStep]) -> tuple[Burn, ...]:
    if not slo.burn_rate_rules:
        return ()
    threshold = min(rule.threshold for rule in slo.burn_rate_rules)
    burning = [step.burn_rate is not None and step.burn_rate >= threshold for step in steps]
    starts = [k for k, hot in enumerate(burning) if hot and (k == 0 or not burning[k - 1])]
    found: list[Burn] = []
    for number, start in enumerate(starts):
        stop = next((k for k in range(start, len(steps)) if not burning[k]), len(steps))
        # A burn's detection and reset are looked for until the next burn starts.
        limit = starts[number + 1] if number + 1 < len(starts) else len(steps)
        found.append(_burn(steps, start, stop, limit))
    return tuple(found)


def _burn(steps: Sequence[ReplayStep], start: int, stop: int, limit: int) -> Burn:
    detected = next((k for k in range(start, limit) if steps[k].fired), None)
    reset = None
    if detected is not None:
        reset = next((k for k in range(detected, min(limit + 1, len(steps))) if not steps[k].fired), None)
    worst_until = reset if reset is not None else (stop if detected is None else limit)
    peak = max((s.burn_rate for s in steps[start:stop] if s.burn_rate is not None), default=0.0)
    return Burn(
        start=steps[start].at,
        end=steps[stop].at if stop < len(steps) else None,
        detected=steps[detected].at if detected is not None else None,
        reset=steps[reset].at if reset is not None else None,
        peak_burn_rate=peak,
        worst_decision=Decision.worst(
            [s.evaluation.decision for s in steps[start : max(worst_until, start + 1)]]
        ),
    )
