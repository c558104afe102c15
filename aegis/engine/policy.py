"""The gate: from one SLO and one measurement to ALLOW, WARN or BLOCK with its evidence.

Multi-window, multi-burn-rate (SRE Workbook, ch. 5): a rule fires only when
both its long window (the budget really is going) and its short window (it is
still going now) burn at or above its threshold. An optional error-budget policy
(``aegis.engine.budget``) fires when too little budget is left. The decision is
the worst action among fired rules and the budget policy, then raised to at
least WARN whenever the data cannot be trusted: the gate never ALLOWs on data it
cannot vouch for, and never lets a data problem soften a BLOCK. An SLO in dry
run is then marked as such (``aegis.engine.dry_run``). Pure: time comes in as ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from aegis.engine import dry_run
from aegis.engine import reasons as say
from aegis.engine.budget import budget_outcome, budget_reason
from aegis.engine.burn import ObjectiveError, error_budget
from aegis.engine.model import BudgetOutcome, Evaluation, RuleOutcome, SLIResult, WindowBurn
from aegis.engine.quality import DataQuality, WindowRead, as_utc, assess, read_window
from aegis.metrics.base import Measurement
from aegis.spec.durations import Window
from aegis.spec.model import SLO, BurnRateRule, Decision


def evaluate(slo: SLO, measurement: Measurement, *, evaluation_id: str, now: datetime) -> Evaluation:
    """Evaluate ``slo`` on ``measurement`` as of ``now``.

    Raises ObjectiveError (a ValueError) only for an SLO whose objective is not
    strictly between 0 and 1, which the spec loader already refuses; every
    problem with the measurement is an answer (WARN with reasons), not an error.
    """
    try:
        error_budget(slo.objective)
    except ObjectiveError as err:
        raise ObjectiveError(f"SLO {slo.id!r}: {err}") from err
    reads = {w: read_window(w, measurement.sample(w), slo.objective) for w in slo.windows}
    rules = tuple(_rule_outcome(rule, reads) for rule in slo.burn_rate_rules)
    budget = budget_outcome(slo, reads)
    quality = assess(slo, measurement, reads, now)
    decision = _decide(rules, budget, quality)
    evaluation = Evaluation(
        evaluation_id=evaluation_id,
        slo_id=slo.id,
        service=slo.service,
        environment=slo.environment,
        decision=decision,
        timestamp=now,
        ttl_seconds=slo.evaluation_interval.seconds,
        sli=_sli(slo, reads),
        reasons=_reasons(decision, rules, budget, slo, quality),
        burn_rates=_burn_rates(slo, reads),
        rules=rules,
        is_stale=quality.is_stale,
        has_no_traffic=quality.has_no_traffic,
        has_missing_data=quality.has_missing_data,
        has_too_few_data_points=quality.has_too_few_data_points,
        has_clamped_data=quality.has_clamped_data,
        data_timestamp=_newest_data(measurement),
        budget=budget,
    )
    return dry_run.recorded(evaluation) if slo.dry_run else evaluation


def _burn(read: WindowRead) -> float | None:
    return read.rates.burn_rate if read.rates is not None else None


def _rule_outcome(rule: BurnRateRule, reads: Mapping[Window, WindowRead]) -> RuleOutcome:
    """Evaluated when both windows have a burn rate, stale or not: stale and burning must still BLOCK."""
    short, long = _burn(reads[rule.short_window]), _burn(reads[rule.long_window])
    evaluated = short is not None and long is not None
    short_rate = short if short is not None else 0.0
    long_rate = long if long is not None else 0.0
    return RuleOutcome(
        name=rule.name,
        short_window=rule.short_window,
        long_window=rule.long_window,
        short_burn_rate=short_rate,
        long_burn_rate=long_rate,
        threshold=rule.threshold,
        action=rule.action,
        fired=evaluated and short_rate >= rule.threshold and long_rate >= rule.threshold,
        evaluated=evaluated,
    )


def _decide(rules: tuple[RuleOutcome, ...], budget: BudgetOutcome | None, quality: DataQuality) -> Decision:
    actions = [rule.action for rule in rules if rule.fired]
    if budget is not None and budget.fired and budget.action is not None:
        actions.append(budget.action)
    decision = Decision.worst(actions)
    unevaluated = not all(rule.evaluated for rule in rules) or (budget is not None and not budget.evaluated)
    if not quality.is_trusted or unevaluated:
        decision = Decision.worst([decision, Decision.WARN])
    return decision


def _reasons(
    decision: Decision,
    rules: tuple[RuleOutcome, ...],
    budget: BudgetOutcome | None,
    slo: SLO,
    quality: DataQuality,
) -> tuple[str, ...]:
    """Fired rules first, then the budget policy, then data problems; on ALLOW the one agreed sentence.

    Clamped data alone leaves the decision at ALLOW, so its explanation then
    rests on the ``has_clamped_data`` flag rather than a reason.
    """
    if decision is Decision.ALLOW:
        return (say.ALL_PASSED,)
    spent = budget_reason(budget, slo.window) if budget is not None else None
    fired = [say.rule_fired(rule) for rule in rules if rule.fired]
    return (*fired, *([spent] if spent else []), *quality.reasons)


def _burn_rates(slo: SLO, reads: Mapping[Window, WindowRead]) -> dict[str, WindowBurn]:
    """Per rule window with a burn rate, shortest first, with the first rule's threshold (spec order)."""
    burn_rates: dict[str, WindowBurn] = {}
    for window in slo.rule_windows:
        rate = _burn(reads[window])
        if rate is None:
            continue
        first = next(r for r in slo.burn_rate_rules if window in (r.short_window, r.long_window))
        burn_rates[window.text] = WindowBurn(burn_rate=rate, threshold=first.threshold)
    return burn_rates


def _sli(slo: SLO, reads: Mapping[Window, WindowRead]) -> SLIResult | None:
    """Over the compliance window when it has traffic, else over the longest rule window that has."""
    candidates = (slo.window, *sorted(slo.rule_windows, reverse=True))
    for window in candidates:
        rates = reads[window].rates
        if rates is not None:
            return SLIResult(
                value=rates.sli,
                error_rate=rates.error_rate,
                budget_remaining=rates.budget_remaining,
                window=window,
            )
    return None


def _newest_data(measurement: Measurement) -> datetime | None:
    stamps = [s.data_timestamp for s in measurement.windows.values() if s.data_timestamp is not None]
    return max(stamps, key=as_utc, default=None)
