"""Dry run: evaluate and record the real decision, but let everyone through.

A team trials a new SLO (``spec.dryRun: true``) or a pipeline tries the gate (``dryRun`` in
the request) before it may block anyone. Two views of one evaluation, never to be confused:

* the **recorded** evaluation (audit, metrics, notifications, the status page) keeps the
  policy's own ``decision``, flagged ``dry_run`` with ``would_be_decision`` equal to it;
* the **answer** to a gate request says ``decision`` ALLOW, flagged ``dry_run``, with the
  policy's decision in ``would_be_decision``.

Whenever the two differ the first reason says so in words ("dry run (spec.dryRun): the gate
answers ALLOW; outside a dry run it would answer BLOCK ..."), so a reason list read alone does
not mislead either. A dry run that would ALLOW anyway keeps the one agreed ALLOW sentence.
"""

from __future__ import annotations

import dataclasses

from aegis.engine import reasons as say
from aegis.engine.model import Evaluation
from aegis.spec.model import Decision

# Where a dry run came from, as the dry-run reason names it.
FROM_SPEC = "spec.dryRun"
FROM_REQUEST = "dryRun in the request"


def recorded(evaluation: Evaluation, source: str = FROM_SPEC) -> Evaluation:
    """``evaluation`` marked as made in dry run; its decision stays the policy's own."""
    if evaluation.dry_run:
        return evaluation
    notice = () if evaluation.decision is Decision.ALLOW else (say.dry_run(evaluation.decision.name, source),)
    return dataclasses.replace(
        evaluation,
        dry_run=True,
        would_be_decision=evaluation.decision,
        reasons=(*notice, *evaluation.reasons),
    )


def answer(evaluation: Evaluation, *, requested: bool = False) -> Evaluation:
    """What a gate request gets: ALLOW with the policy's decision beside it, when in dry run.

    ``requested``: the request asked for a dry run, whatever the SLO says. Outside a dry run
    the evaluation is the answer, unchanged.
    """
    if not (evaluation.dry_run or requested):
        return evaluation
    marked = recorded(evaluation, FROM_REQUEST)
    return dataclasses.replace(marked, decision=Decision.ALLOW)


def policy_decision(evaluation: Evaluation) -> Decision:
    """The decision the policy reached, from either view."""
    return evaluation.would_be_decision or evaluation.decision
