"""The latest evaluation of each SLO: what a cached decision is answered from.

A port, because where "latest" lives depends on the deployment: in this process's memory for one
server (``LatestInMemory``), or in a store shared by replicas so that each gives the same answer.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from aegis.engine.model import Evaluation
from aegis.scheduler.listeners import Evaluated


@dataclass(frozen=True)
class SLOState:
    """What is known about one SLO right now."""

    latest: Evaluation | None
    # The last data-source error (e.g. a rejected query); None when the last evaluation read cleanly.
    last_error: str | None


class LatestStates(Protocol):
    def on_evaluation(self, event: Evaluated) -> None:
        """Record ``event`` as the latest of its SLO (it is also an evaluation listener)."""
        ...

    async def publish(self, event: Evaluated) -> None:
        """Make ``event`` the latest of its SLO wherever the latest is read (the scheduler awaits
        it after the journal, before the listeners). Bounded in time; should not raise."""
        ...

    def state(self, slo_id: str) -> SLOState: ...

    def evaluated(self) -> Collection[str]:
        """Ids of the SLOs that have a latest evaluation."""
        ...

    def forget(self, slo_id: str) -> None:
        """Drop what is known of a removed SLO."""
        ...


class LatestInMemory:
    """One process's view: the last evaluation each SLO got here."""

    def __init__(self) -> None:
        self._states: dict[str, SLOState] = {}

    def on_evaluation(self, event: Evaluated) -> None:
        self._states[event.slo.id] = SLOState(event.evaluation, event.error)

    async def publish(self, event: Evaluated) -> None:
        self.on_evaluation(event)

    def state(self, slo_id: str) -> SLOState:
        return self._states.get(slo_id) or SLOState(None, None)

    def evaluated(self) -> Collection[str]:
        return self._states.keys()

    def forget(self, slo_id: str) -> None:
        self._states.pop(slo_id, None)
