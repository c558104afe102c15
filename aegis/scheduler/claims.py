"""Keeping each evaluation single when several replicas could run it.

Ownership says which replica should evaluate an SLO; a claim makes sure that, whatever two
replicas believe during a handoff, an SLO's scheduled evaluation runs at most once per
interval and a fresh one at most once at a time. One process needs no claims (``NoClaims``);
replicas claim through their shared database (``aegis.cluster``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from aegis.engine.model import Evaluation
from aegis.spec.model import SLO


class EvaluationClaims(Protocol):
    async def claim_slot(self, slo_id: str, interval: float) -> float:
        """0 when this process may run the scheduled evaluation of ``slo_id`` now; otherwise the
        seconds to wait before asking again (the slot is taken, or claiming is impossible now)."""
        ...

    async def fresh(self, slo: SLO, evaluate: Callable[[], Awaitable[Evaluation]]) -> Evaluation:
        """A fresh evaluation of ``slo``: ``evaluate()`` here, or the result of the one another
        process is running. Never raises for an unreachable coordinator: answers WARN with why."""
        ...


class NoClaims:
    """One process: every slot is free, every fresh evaluation runs here."""

    async def claim_slot(self, slo_id: str, interval: float) -> float:
        return 0.0

    async def fresh(self, slo: SLO, evaluate: Callable[[], Awaitable[Evaluation]]) -> Evaluation:
        return await evaluate()
