"""Evaluates every SLO on its own interval and hands each result to the listeners.

One task per SLO, so a slow or failing adapter for one SLO never stalls the others. First
evaluations are staggered over a short spread (not all at once, and not a whole interval late,
which would keep /readyz down for minutes); later ones follow each SLO's interval from there. A
fresh evaluation asked for by many callers at once runs once: they all await the same task.

Nobody sees an evaluation before the journal has it (commit before publish): the latest cache,
the caller of ``evaluate_now`` and the listeners hear of it only after its audit record is
durable, or after the journal's bounded wait when the store is down.

The SLO set comes from a catalog and follows its changes (hot reload): added SLOs start, changed
ones restart at once, removed ones stop and are forgotten. Scheduled runs happen only for SLOs this
process owns (one owner per SLO across replicas), each only once its slot is claimed (at most one
scheduled evaluation per interval across replicas, whatever they believe during a handoff); fresh
evaluations go through the same claims, so one runs across replicas and every caller gets it.
Time comes from an injectable timer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from aegis._tasks import cancel_and_wait
from aegis.engine.model import Evaluation
from aegis.scheduler.catalog import CatalogChange, SLOCatalog
from aegis.scheduler.claims import EvaluationClaims, NoClaims
from aegis.scheduler.evaluator import Evaluator
from aegis.scheduler.journal import Journal, NoJournal
from aegis.scheduler.latest import LatestStates, SLOState
from aegis.scheduler.listeners import Evaluated, EvaluationListener, notify_all
from aegis.scheduler.ownership import OwnAll, Ownership
from aegis.scheduler.timing import SystemTime, Timer
from aegis.spec.model import SLO


class Scheduler:
    def __init__(
        self,
        catalog: SLOCatalog,
        evaluator: Evaluator,
        *,
        latest: LatestStates,
        listeners: Sequence[EvaluationListener] = (),
        journal: Journal | None = None,
        ownership: Ownership | None = None,
        claims: EvaluationClaims | None = None,
        timer: Timer | None = None,
        startup_spread: float = 2.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.catalog = catalog
        self.evaluator = evaluator
        self._latest = latest
        self._listeners = tuple(listeners)
        self._journal = journal or NoJournal()
        self._ownership = ownership or OwnAll()
        self._claims = claims or NoClaims()
        self._timer = timer or SystemTime()
        self._startup_spread = startup_spread
        self._logger = logger or logging.getLogger(__name__)
        self._in_flight: dict[str, tuple[SLO, asyncio.Task[Evaluation]]] = {}
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        # SLOs whose loop is between runs (sleeping), as opposed to claiming or evaluating.
        self._waiting: set[str] = set()
        self._started = False
        catalog.subscribe(self._on_catalog_change)

    # --- reading --------------------------------------------------------------------------

    @property
    def slos(self) -> dict[str, SLO]:
        return self.catalog.slos

    def state(self, slo_id: str) -> SLOState:
        return self._latest.state(slo_id)

    def latest(self, slo_id: str) -> Evaluation | None:
        return self._latest.state(slo_id).latest

    def not_yet_evaluated(self) -> list[str]:
        return sorted(set(self.catalog.entries) - set(self._latest.evaluated()))

    # --- evaluating -----------------------------------------------------------------------

    async def evaluate_now(self, slo_id: str) -> Evaluation:
        """Evaluate ``slo_id`` now; concurrent callers share one evaluation. KeyError if unknown.

        Across replicas too: the evaluation goes through the fresh claim (``EvaluationClaims``).
        """
        return await self._shared(slo_id, claimed=False)

    async def _shared(self, slo_id: str, *, claimed: bool) -> Evaluation:
        """One evaluation for every concurrent caller; ``claimed``: the scheduled slot is held
        already, so no fresh claim is needed (it would cost two more round trips)."""
        slo = self.catalog.get(slo_id)
        if slo is None:
            raise KeyError(slo_id)
        running = self._in_flight.get(slo_id)
        if running is None or running[0] != slo:
            work = self._evaluate(slo) if claimed else self._evaluate_fresh(slo)
            task = asyncio.create_task(work, name=f"evaluate:{slo_id}")
            self._in_flight[slo_id] = (slo, task)
            task.add_done_callback(lambda done: self._settle(slo_id, done))
        else:
            task = running[1]
        # shield: a caller that gives up (deadline, disconnect) must not cancel the others' evaluation.
        return await asyncio.shield(task)

    async def current(self, slo_id: str) -> Evaluation:
        """The latest evaluation, or a fresh one when there is none yet."""
        cached = self.latest(slo_id)
        return cached if cached is not None else await self.evaluate_now(slo_id)

    def _settle(self, slo_id: str, task: asyncio.Task[Evaluation]) -> None:
        running = self._in_flight.get(slo_id)
        if running is not None and running[1] is task:
            del self._in_flight[slo_id]

    async def _evaluate_fresh(self, slo: SLO) -> Evaluation:
        return await self._claims.fresh(slo, lambda: self._evaluate(slo))

    async def _evaluate(self, slo: SLO) -> Evaluation:
        event = await self.evaluator.evaluate(slo)
        await self._commit(event)
        # An evaluation of a definition that was reloaded meanwhile is audited like any other,
        # but must not overwrite the latest result of the definition now in force.
        if self.catalog.get(slo.id) == slo:
            await self._publish(event)
        notify_all(self._listeners, event, self._logger)
        return event.evaluation

    async def _publish(self, event: Evaluated) -> None:
        try:
            await self._latest.publish(event)
        except Exception:
            # Like the journal, publishing must not raise; the caller still gets its decision.
            self._logger.exception("publishing evaluation %s failed", event.evaluation.evaluation_id)

    async def _commit(self, event: Evaluated) -> None:
        try:
            await self._journal.commit(event.evaluation)
        except Exception:
            # The journal must not raise; if it does, the decision is still served.
            self._logger.exception("the journal failed on evaluation %s", event.evaluation.evaluation_id)

    # --- the loops ------------------------------------------------------------------------

    def start(self) -> None:
        self._started = True
        ids = sorted(self.catalog.entries)
        count = max(len(ids), 1)
        for index, slo_id in enumerate(ids):
            self._start_loop(slo_id, self._startup_spread * index / count)
        self._spawn(self._ownership.start(ids), "ownership-start")

    async def stop(self, grace: float | None = None) -> None:
        """Stop the loops; evaluations still running get ``grace`` seconds (None: as long as they take).

        Bounded for a SIGTERM: an evaluation stuck on a slow backend is cancelled after the grace
        instead of holding the process for its whole budget.
        """
        self._started = False
        loops = list(self._loops.values())
        self._loops.clear()
        await cancel_and_wait(*loops)
        pending: list[asyncio.Task[Any]] = [task for _, task in self._in_flight.values()]
        pending += self._background
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._ownership.stop()

    def _on_catalog_change(self, change: CatalogChange) -> None:
        for slo_id in change.removed:
            self._stop_loop(slo_id)
            self._latest.forget(slo_id)
        if not self._started:
            return
        for slo_id in (*change.changed, *change.added):
            self._stop_loop(slo_id)
            self._start_loop(slo_id, 0.0)
        self._spawn(self._ownership.update(sorted(self.catalog.entries)), "ownership-update")

    def ownership_gained(self, slo_ids: AbstractSet[str]) -> None:
        """SLOs this process now owns (a replica left): look at their slots at once, not a whole
        interval later, so a takeover takes no longer than the slot's own wait."""
        if not self._started:
            return
        # Only loops that are waiting: one cut off mid-claim could leave its slot claimed and unused.
        for slo_id in slo_ids & self._waiting:
            self._stop_loop(slo_id)
            self._start_loop(slo_id, 0.0)

    def _start_loop(self, slo_id: str, delay: float) -> None:
        self._loops[slo_id] = asyncio.create_task(self._loop(slo_id, delay), name=f"slo-loop:{slo_id}")

    def _stop_loop(self, slo_id: str) -> None:
        task = self._loops.pop(slo_id, None)
        if task is not None:
            task.cancel()

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _wait(self, slo_id: str, seconds: float) -> None:
        self._waiting.add(slo_id)
        try:
            await self._timer.sleep(seconds)
        finally:
            self._waiting.discard(slo_id)

    async def _loop(self, slo_id: str, delay: float) -> None:
        await self._wait(slo_id, delay)
        next_run = self._timer.monotonic()
        while True:
            slo = self.catalog.get(slo_id)
            if slo is None:
                return
            if self._ownership.owns(slo_id):
                wait = await self._claims.claim_slot(slo_id, slo.evaluation_interval.seconds)
                if wait > 0:
                    # Another replica ran this interval's evaluation, or claiming failed: ask again then.
                    await self._wait(slo_id, wait)
                    next_run = self._timer.monotonic()
                    continue
                try:
                    await self._shared(slo_id, claimed=True)
                except Exception:
                    # The evaluator already turns adapter failures into WARN; this is a bug guard.
                    self._logger.exception("evaluation of %s failed unexpectedly", slo_id)
            next_run += slo.evaluation_interval.seconds
            # After a long stall, skip missed runs rather than firing a burst of them.
            now = self._timer.monotonic()
            if next_run < now:
                next_run = now + slo.evaluation_interval.seconds
            await self._wait(slo_id, next_run - now)
