"""The latest evaluation of each SLO, shared by every replica through ``aegis_slo_latest``.

The owner publishes each evaluation there after its audit record is durable; every replica
reads the rows written since its previous read (a few times a second) into memory and answers
from that copy. The copy is trusted only while it is recent: when this replica has not read
the table for ``max_age`` seconds (it cannot reach the database), every SLO answers WARN with
the reason, never its last known, possibly stale, ALLOW.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection

from aegis._tasks import cancel_and_wait
from aegis.cluster import _sql
from aegis.cluster.link import DatabaseLink, DatabaseUnavailable
from aegis.cluster.unavailable import unavailable_evaluation
from aegis.engine.model import Evaluation
from aegis.scheduler.catalog import SLOCatalog
from aegis.scheduler.latest import SLOState
from aegis.scheduler.listeners import Evaluated
from aegis.scheduler.timing import SystemTime, Timer


class SharedLatest:
    """A ``LatestStates`` read through the shared database, cached for at most ``max_age``."""

    def __init__(
        self,
        link: DatabaseLink,
        catalog: SLOCatalog,
        replica_id: str,
        *,
        refresh: float = 0.5,
        max_age: float = 10.0,
        timer: Timer | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._link = link
        self._catalog = catalog
        self._replica_id = replica_id
        self._refresh = refresh
        self._max_age = max_age
        self._timer = timer or SystemTime()
        self._logger = logger or logging.getLogger(__name__)
        self._states: dict[str, SLOState] = {}
        self._versions: dict[str, int] = {}
        # Rows whose audit record was not readable yet: read again by id until it is.
        self._incomplete: set[str] = set()
        self._xmin = 0
        self._synced_at: float | None = None
        self._task: asyncio.Task[None] | None = None
        # One WARN per SLO per outage, so that asking twice gives the same answer.
        self._unavailable: dict[str, Evaluation] = {}

    # --- LatestStates ------------------------------------------------------------------------

    def on_evaluation(self, event: Evaluated) -> None:
        self._states[event.slo.id] = SLOState(event.evaluation, event.error)

    async def publish(self, event: Evaluated) -> None:
        """Through the table, for this replica too: every replica then answers with the audit's
        record (which carries what only the store adds, such as its place in the hash chain), read
        within ``refresh``. Kept here at once only when the table cannot be written."""
        try:
            await self._link.run(
                _sql.publish, self._link.engine, event.evaluation, event.error, self._replica_id
            )
        except DatabaseUnavailable as err:
            self._logger.warning("evaluation %s not shared: %s", event.evaluation.evaluation_id, err)
            self.on_evaluation(event)

    def state(self, slo_id: str) -> SLOState:
        reason = self.unavailable_reason()
        if reason is None:
            self._unavailable.clear()
            return self._states.get(slo_id) or SLOState(None, None)
        slo = self._catalog.get(slo_id)
        if slo is None:
            return SLOState(None, reason)
        answer = self._unavailable.get(slo_id)
        if answer is None:
            answer = self._unavailable[slo_id] = unavailable_evaluation(slo, reason)
        return SLOState(answer, reason)

    def known(self, slo_id: str) -> Evaluation | None:
        """The latest evaluation this replica has of ``slo_id``, however old its copy is."""
        state = self._states.get(slo_id)
        return None if state is None else state.latest

    def evaluated(self) -> Collection[str]:
        return self._states.keys()

    def forget(self, slo_id: str) -> None:
        self._states.pop(slo_id, None)
        self._versions.pop(slo_id, None)
        self._incomplete.discard(slo_id)

    # --- freshness ---------------------------------------------------------------------------

    def unavailable_reason(self) -> str | None:
        """Why this replica's copy must not be served (one line), or None while it is recent."""
        if self._synced_at is None:
            return None  # nothing read yet: nothing stale to serve either ("not evaluated yet")
        age = self._timer.monotonic() - self._synced_at
        if age <= self._max_age:
            return None
        since = self._link.down_since
        when = f" since {since:%H:%M:%SZ}" if since is not None else ""
        why = self._link.problem or "reads are failing"
        return (
            f"this replica cannot reach the shared database{when} ({why}); its copy of the latest "
            f"decisions is {age:.0f}s old and is not served"
        )

    def absorb(self, row: _sql.LatestRow) -> None:
        """A row read from the table: kept when newer than what this replica has."""
        if row.evaluation is None:
            self._incomplete.add(row.slo_id)
            return
        self._incomplete.discard(row.slo_id)
        if row.version <= self._versions.get(row.slo_id, -1):
            return
        entry = self._catalog.entries.get(row.slo_id)
        if entry is None:
            return  # an SLO this replica does not (or no longer) load
        held = self._states.get(row.slo_id)
        if held is not None and held.latest is not None and held.latest.timestamp > row.evaluation.timestamp:
            return  # this replica's own newer evaluation, not shared yet (the database was down)
        self._versions[row.slo_id] = row.version
        self._states[row.slo_id] = SLOState(row.evaluation, row.last_error)

    # --- reading the table -------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._follow(), name="shared-latest")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None

    async def sync(self) -> None:
        """Read what changed since the last read; DatabaseUnavailable when the database cannot say."""
        started = self._timer.monotonic()
        xmin, rows = await self._link.run_control(
            _sql.read_changes, self._link.engine, self._xmin, frozenset(self._incomplete)
        )
        for row in rows:
            self.absorb(row)
        self._xmin = xmin
        self._synced_at = started

    async def _follow(self) -> None:
        while True:
            with contextlib.suppress(DatabaseUnavailable):
                await self.sync()
            await self._timer.sleep(self._refresh)
