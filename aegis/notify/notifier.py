"""The evaluation listener that turns a changed decision into notifications.

It remembers each SLO's last decision and, when an evaluation differs, offers the change to
every sink (webhooks, Alertmanager). Sinks queue and send on their own tasks, so the
scheduler pays a dictionary lookup per evaluation, whatever the receivers do.

A restart must not announce every SLO as changed: ``restore`` seeds the last decisions from
the audit log (the newest record of each SLO) before the scheduler starts. An SLO seen for the
first time with no history is announced only when its decision is not ALLOW.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import Protocol

from aegis.engine.model import Evaluation
from aegis.notify.change import DecisionChange
from aegis.scheduler.listeners import Evaluated
from aegis.spec.model import Decision
from aegis.store.base import AuditQuery, AuditStore
from aegis.store.writer import one_line


class Sink(Protocol):
    name: str

    def start(self) -> None: ...

    def offer(self, change: DecisionChange) -> None:
        """Take ``change`` for delivery; must not wait and must not raise."""
        ...

    def restore(self, evaluation: Evaluation) -> None:
        """The newest audited evaluation of an SLO, at start (before any offer)."""
        ...

    def forget(self, slo_id: str) -> None:
        """The SLO was removed (a reload)."""
        ...

    def release(self, slo_id: str) -> None:
        """Another replica notifies for the SLO from now on: stop without resolving anything."""
        ...

    async def stop(self, grace: float = 5.0) -> None: ...


class Notifier:
    def __init__(self, sinks: Sequence[Sink], *, logger: logging.Logger | None = None) -> None:
        self.sinks = tuple(sinks)
        self._logger = logger or logging.getLogger(__name__)
        self._last: dict[str, Decision] = {}

    async def restore(self, store: AuditStore, slo_ids: Collection[str]) -> None:
        """Seed each SLO's last decision from its newest audit record."""
        for slo_id in sorted(slo_ids):
            try:
                # Gate requests (revision 0005) sit above their evaluation; the newest evaluation is
                # what decides. Picked here rather than filtered in SQL, which would count by rows.
                page = await store.query(AuditQuery(slo_id=slo_id, limit=50))
            except Exception as err:
                self._logger.error(
                    "cannot read the last decisions from the audit store (%s); "
                    "the first evaluations may be announced as changes",
                    one_line(err),
                )
                return
            evaluations = [record for record in page.records if record.gate_request is None]
            if evaluations or page.records:
                self._restore((evaluations or list(page.records))[0])

    def seed(self, evaluation: Evaluation) -> None:
        """An SLO's latest evaluation made elsewhere (another replica owned it until now): its
        decision is the one the next change is measured from, and a firing alert keeps firing."""
        self._restore(evaluation)

    def _restore(self, evaluation: Evaluation) -> None:
        self._last[evaluation.slo_id] = evaluation.decision
        for sink in self.sinks:
            sink.restore(evaluation)

    def start(self) -> None:
        for sink in self.sinks:
            sink.start()

    async def stop(self, grace: float = 5.0) -> None:
        for sink in self.sinks:
            await sink.stop(grace)

    def replace_sinks(self, sinks: Sequence[Sink]) -> tuple[Sink, ...]:
        """Put ``sinks`` in force (the notifications file was reloaded), starting the new ones.

        Returns the sinks no longer used, for the caller to stop; a sink kept keeps its queue.
        """
        old = self.sinks
        self.sinks = tuple(sinks)
        for sink in self.sinks:
            if sink not in old:
                sink.start()
        return tuple(sink for sink in old if sink not in self.sinks)

    def last_decision(self, slo_id: str) -> Decision | None:
        return self._last.get(slo_id)

    def on_evaluation(self, event: Evaluated) -> None:
        evaluation = event.evaluation
        previous = self._last.get(evaluation.slo_id)
        self._last[evaluation.slo_id] = evaluation.decision
        if previous is evaluation.decision or (previous is None and evaluation.decision is Decision.ALLOW):
            return
        change = DecisionChange.of(evaluation, previous)
        self._logger.info("decision changed: %s", change.describe())
        for sink in self.sinks:
            sink.offer(change)

    def forget(self, slo_id: str) -> None:
        self._last.pop(slo_id, None)
        for sink in self.sinks:
            sink.forget(slo_id)

    def release(self, slo_id: str) -> None:
        """This replica no longer owns the SLO: the new owner announces its changes and keeps its
        alert firing (or resolves it); this one stops re-sending a firing alert that would outlive it."""
        self._last.pop(slo_id, None)
        for sink in self.sinks:
            sink.release(slo_id)
