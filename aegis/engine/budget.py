"""The error-budget policy: gate on the budget left, as the SRE Workbook's error-budget policy does.

Burn-rate rules catch the budget going fast; this catches it being gone. ``spec.budgetPolicy``
says, as fractions of the compliance window's budget, below what share to BLOCK (``blockBelow``)
and to WARN (``warnBelow``). Only the compliance window's own counts say how much budget is
left: when they are missing the policy is not evaluated, and the quality checks (which then
watch the compliance window too) keep the gate from ALLOWing. A budget from data that is stale
or thin still BLOCKs when it is spent, as a stale burning rule does: a data problem must not
hide that the budget is gone.
"""

from __future__ import annotations

from collections.abc import Mapping

from aegis.engine import reasons as say
from aegis.engine.model import BudgetOutcome
from aegis.engine.quality import WindowRead
from aegis.spec.durations import Window
from aegis.spec.model import SLO, Decision


def budget_outcome(slo: SLO, reads: Mapping[Window, WindowRead]) -> BudgetOutcome | None:
    """The policy's verdict on the compliance window; None for an SLO without a budget policy."""
    policy = slo.budget_policy
    if policy is None:
        return None
    rates = reads[slo.window].rates
    left = rates.budget_remaining if rates is not None else None
    action: Decision | None = None
    if left is not None:
        action = Decision.ALLOW
        if policy.warn_below is not None and left < policy.warn_below:
            action = Decision.WARN
        if policy.block_below is not None and left < policy.block_below:
            action = Decision.BLOCK
    return BudgetOutcome(
        block_below=policy.block_below,
        warn_below=policy.warn_below,
        budget_remaining=left,
        action=action,
    )


def budget_reason(outcome: BudgetOutcome, window: Window) -> str | None:
    """Why the policy fired, with the budget left against the threshold it fell below."""
    left = outcome.budget_remaining
    if left is None or not outcome.fired:
        return None
    if outcome.action is Decision.BLOCK and outcome.block_below is not None:
        return say.budget_policy_fired("BLOCK", left, window, "blockBelow", outcome.block_below)
    assert outcome.warn_below is not None  # WARN is only reached below warnBelow
    return say.budget_policy_fired("WARN", left, window, "warnBelow", outcome.warn_below)
