"""An evaluation explained to a person: each rule against its threshold, and what would open the gate.

A rule fires only while BOTH of its windows burn at or above its threshold, so it stops firing as
soon as either falls below; the short window (listed first) recovers first. Data that cannot be
trusted keeps a decision at WARN whatever the burn rates say, so those conditions are listed too.

    for line in explain(client.decide("checkout")).lines():
        print(line)
"""

from __future__ import annotations

from dataclasses import dataclass

from aegis.client.results import Decision, Evaluation, RuleResult

__all__ = ["Explanation", "RuleLine", "explain", "format_burn_rate"]


def format_burn_rate(value: float) -> str:
    """``20.0x``, ``0.08x``: one decimal from 1x up, two significant digits below."""
    return f"{value:.1f}x" if value >= 1 else f"{value:.2g}x"


@dataclass(frozen=True)
class RuleLine:
    rule: RuleResult

    def __str__(self) -> str:
        rule = self.rule
        windows = (
            f"{rule.short_window} at {format_burn_rate(rule.short_burn_rate)}, "
            f"{rule.long_window} at {format_burn_rate(rule.long_burn_rate)}"
        )
        if not rule.evaluated:
            state = "not evaluated: a window lacked trustworthy data"
        elif rule.fired:
            state = f"FIRED: both windows at or above {format_burn_rate(rule.threshold)}"
        else:
            state = f"quiet: below {format_burn_rate(rule.threshold)} in at least one window"
        threshold = format_burn_rate(rule.threshold)
        return f"rule {rule.name} ({rule.action.name} at {threshold}): {windows}; {state}"


@dataclass(frozen=True)
class Explanation:
    evaluation: Evaluation

    def headline(self) -> str:
        e = self.evaluation
        when = f" at {e.timestamp.isoformat()}" if e.timestamp else ""
        return f"{e.slo_id} ({e.service}/{e.environment}): {e.decision.name}{when}"

    def budget(self) -> str:
        sli = self.evaluation.sli
        if sli is None:
            return "error budget: unknown (no SLI could be computed)"
        return (
            f"error budget left: {sli.budget_remaining:.1%} over {sli.window} "
            f"(SLI {sli.value:.4%}, error rate {sli.error_rate:.4%})"
        )

    def rules(self) -> list[RuleLine]:
        return [RuleLine(rule) for rule in self.evaluation.rules]

    def to_open(self) -> list[str]:
        """What would have to change for the gate to say ALLOW; empty when it already does."""
        e = self.evaluation
        if e.decision is Decision.ALLOW:
            return []
        needed = [_stop_firing(rule) for rule in e.rules if rule.fired and rule.action is not Decision.ALLOW]
        needed.extend(_data_needed(e))
        if not needed:  # a decision with no fired rule and no flag: say so rather than nothing
            needed.append("the reasons above must be resolved")
        return needed

    def lines(self) -> list[str]:
        out = [self.headline(), *(f"  reason: {r}" for r in self.evaluation.reasons), f"  {self.budget()}"]
        out.extend(f"  {line}" for line in self.rules())
        opening = self.to_open()
        if opening:
            out.append("  for the gate to open:")
            out.extend(f"    - {item}" for item in opening)
        else:
            out.append("  the gate is open: nothing needs to change")
        return out


def explain(evaluation: Evaluation) -> Explanation:
    return Explanation(evaluation)


def _stop_firing(rule: RuleResult) -> str:
    threshold = format_burn_rate(rule.threshold)
    return (
        f"rule {rule.name}: the {rule.short_window} burn rate must fall below {threshold} "
        f"(now {format_burn_rate(rule.short_burn_rate)}), or the {rule.long_window} burn rate below "
        f"{threshold} (now {format_burn_rate(rule.long_burn_rate)})"
    )


def _data_needed(evaluation: Evaluation) -> list[str]:
    flags = evaluation.flags
    needed: list[str] = []
    if flags.stale:
        stamp = evaluation.data_timestamp
        newest = f" (newest data: {stamp.isoformat()})" if stamp else ""
        needed.append(f"fresh data needed: the data is older than the SLO's staleness limit{newest}")
    unevaluated = [rule.name for rule in evaluation.rules if not rule.evaluated]
    if flags.missing_data:
        rules = f" for rule(s) {', '.join(unevaluated)}" if unevaluated else ""
        needed.append(f"data needed: a window returned no data or the metrics backend failed{rules}")
    if flags.no_traffic:
        needed.append("traffic needed: a window a rule needs saw no requests")
    if flags.too_few_data_points:
        needed.append("more data points needed: fewer raw samples than the SLO's minDataPoints")
    return needed
