"""Which replicas are alive, and which of them owns each SLO.

Each replica holds a lease (a row in ``aegis_replicas``) that it renews every third of its
length; the live replicas are those whose lease has not expired by the database's clock.
Each SLO belongs to the live replica with the highest rendezvous hash of (replica, SLO): every
replica computes the same owner from the same live set, SLOs spread evenly, and when a replica
joins or leaves only the SLOs it gains or loses move (about 1/N of them).

A replica that cannot renew its lease stops owning anything when the lease it last renewed runs
out, measured from before that renewal was sent: it has stopped before any other replica can
see the lease expire and take over. (Claims make a double evaluation impossible anyway; this
keeps an unreachable replica from even trying.)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Collection
from collections.abc import Set as AbstractSet

from aegis._tasks import cancel_and_wait
from aegis.cluster import _sql
from aegis.cluster.link import DatabaseLink, DatabaseUnavailable
from aegis.scheduler.timing import SystemTime, Timer


def rendezvous_owner(slo_id: str, members: Collection[str]) -> str | None:
    """The member with the highest hash for ``slo_id`` (None without members)."""
    return max(members, key=lambda member: _score(member, slo_id), default=None)


def _owned_by(member: str, slo_ids: Collection[str], live: Collection[str]) -> frozenset[str]:
    return frozenset(slo_id for slo_id in slo_ids if rendezvous_owner(slo_id, live) == member)


def _score(member: str, slo_id: str) -> bytes:
    return hashlib.blake2b(f"{member}\x00{slo_id}".encode(), digest_size=8).digest()


class ReplicaMembership:
    """The ``Ownership`` of a replica among others on one PostgreSQL."""

    def __init__(
        self,
        link: DatabaseLink,
        replica_id: str,
        *,
        lease: float = 10.0,
        timer: Timer | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._link = link
        self.replica_id = replica_id
        self.lease = lease
        self._timer = timer or SystemTime()
        self._logger = logger or logging.getLogger(__name__)
        self._slo_ids: frozenset[str] = frozenset()
        self._live: tuple[str, ...] = ()
        self._owned: frozenset[str] = frozenset()
        self._lease_until = float("-inf")
        self._task: asyncio.Task[None] | None = None
        self._assigning = asyncio.Lock()
        # Told of the SLOs this replica starts owning (the scheduler looks at their slots at once).
        self.on_gained: Callable[[AbstractSet[str]], None] | None = None
        # Told of the SLOs another replica owns from now on (notifications hand over).
        self.on_lost: Callable[[AbstractSet[str]], None] | None = None

    # --- Ownership ---------------------------------------------------------------------------

    def owns(self, slo_id: str) -> bool:
        return slo_id in self._owned and self._timer.monotonic() < self._lease_until

    async def start(self, slo_ids: Collection[str]) -> None:
        self._slo_ids = frozenset(slo_ids)
        with contextlib.suppress(DatabaseUnavailable):
            await self._link.run(_sql.ensure_rows, self._link.engine, self._slo_ids)
        if self._task is None:
            self._task = asyncio.create_task(self._renew(), name="replica-lease")

    async def update(self, slo_ids: Collection[str]) -> None:
        self._slo_ids = frozenset(slo_ids)
        with contextlib.suppress(DatabaseUnavailable):
            await self._link.run(_sql.ensure_rows, self._link.engine, self._slo_ids)
        await self._assign(self._live, force=True)

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None
        self._owned = frozenset()
        # Leaving at once lets the others take over now rather than when the lease runs out.
        with contextlib.suppress(DatabaseUnavailable):
            await self._link.run(_sql.leave, self._link.engine, self.replica_id)

    # --- for readiness and tests -------------------------------------------------------------

    @property
    def live(self) -> tuple[str, ...]:
        return self._live

    @property
    def owned(self) -> frozenset[str]:
        return self._owned if self._timer.monotonic() < self._lease_until else frozenset()

    # --- the lease ---------------------------------------------------------------------------

    async def _renew(self) -> None:
        while True:
            sent = self._timer.monotonic()
            try:
                live = await self._link.run_control(
                    _sql.heartbeat, self._link.engine, self.replica_id, self.lease
                )
            except DatabaseUnavailable:
                if self._owned and self._timer.monotonic() >= self._lease_until:
                    self._logger.error(
                        "replica %s: lease ran out unrenewed; it owns no SLO until the database is back",
                        self.replica_id,
                    )
                    lost, self._owned = self._owned, frozenset()
                    self._live = ()
                    if self.on_lost is not None:
                        self.on_lost(lost)
            else:
                self._lease_until = sent + self.lease
                await self._assign(tuple(live))
            await self._timer.sleep(self.lease / 3)

    async def _assign(self, live: tuple[str, ...], *, force: bool = False) -> None:
        async with self._assigning:  # a renewal and a reload one after the other, never interleaved
            await self._assign_now(live, force=force)

    async def _assign_now(self, live: tuple[str, ...], *, force: bool) -> None:
        if live == self._live and not force:
            return
        previous = self._owned
        # O(SLOs x replicas) hashes (0.3 s for 10,000 x 10 on a busy VM): off the event loop.
        owned = await asyncio.to_thread(_owned_by, self.replica_id, self._slo_ids, live)
        self._live = live
        self._owned = owned
        if live and not force:
            self._logger.info(
                "replica %s: %d live replica(s); this one owns %d of %d SLO(s)",
                self.replica_id,
                len(live),
                len(owned),
                len(self._slo_ids),
            )
        gained, lost = owned - previous, previous - owned
        if lost and self.on_lost is not None:
            self.on_lost(lost)
        if gained and self.on_gained is not None:
            self.on_gained(gained)
