"""Commit before publish: the step between making an evaluation and anyone seeing it.

An evaluation id handed to a caller is a promise that its audit record exists; an id that
vanished after a crash would break it (106 of 200 did, before this seam). So the scheduler
awaits the journal before it feeds the latest cache, answers the caller of a fresh decision
or tells the listeners (metrics, notifications). The journal bounds that wait itself and
returns early when its store is down: the gate stays available, and says so elsewhere.
"""

from __future__ import annotations

from typing import Protocol

from aegis.engine.model import Evaluation


class Journal(Protocol):
    async def commit(self, evaluation: Evaluation) -> None:
        """Return once ``evaluation`` is durable, or once waiting longer is pointless.

        Must return within a bounded time and must not raise: the decision is served
        whatever happens to its record.
        """
        ...


class NoJournal:
    """Nothing to make durable: publish at once (tests, tools)."""

    async def commit(self, evaluation: Evaluation) -> None:
        return None
