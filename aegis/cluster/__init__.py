"""Several replicas on one PostgreSQL: membership, ownership, claims and the shared latest state.

``Cluster`` builds the pieces once for the composition root (``aegis.app``): a ``DatabaseLink``
(is the database reachable), ``ReplicaMembership`` (the scheduler's ``Ownership``),
``DatabaseClaims`` (its ``EvaluationClaims``) and ``SharedLatest`` (its ``LatestStates``).
docs/replicas.md explains the design and what it guarantees.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

from sqlalchemy.engine import Engine

from aegis.cluster.claims import DatabaseClaims
from aegis.cluster.link import DatabaseLink
from aegis.cluster.membership import ReplicaMembership, rendezvous_owner
from aegis.cluster.shared_latest import SharedLatest
from aegis.scheduler.catalog import SLOCatalog

__all__ = [
    "Cluster",
    "DatabaseClaims",
    "ReplicaMembership",
    "SharedLatest",
    "default_replica_id",
    "rendezvous_owner",
]


def default_replica_id() -> str:
    """Host name (a Kubernetes pod's name), process id and a random suffix: unique per start."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Cluster:
    def __init__(
        self,
        engine: Engine,
        catalog: SLOCatalog,
        *,
        replica_id: str,
        lease: float,
        evaluation_timeout: float,
        logger: logging.Logger | None = None,
    ) -> None:
        self.replica_id = replica_id
        self.lease = lease
        self.link = DatabaseLink(engine, timeout=max(lease / 2, 1.0), logger=logger)
        self.membership = ReplicaMembership(self.link, replica_id, lease=lease, logger=logger)
        # Read a few times per lease; served for at most one lease without a successful read.
        refresh = min(max(lease / 20, 0.1), 1.0)
        self.latest = SharedLatest(
            self.link, catalog, replica_id, refresh=refresh, max_age=lease, logger=logger
        )
        self.claims = DatabaseClaims(
            self.link,
            self.latest,
            replica_id,
            fresh_hold=evaluation_timeout + 10.0,
            retry=lease / 3,
            logger=logger,
        )

    @classmethod
    def for_engine(
        cls,
        engine: Engine,
        catalog: SLOCatalog,
        *,
        replica_id: str | None,
        lease: float,
        evaluation_timeout: float,
        logger: logging.Logger,
    ) -> Cluster | None:
        """The cluster of a PostgreSQL audit database; None for any other (SQLite: one process)."""
        if engine.dialect.name != "postgresql":
            return None
        replica_id = replica_id or default_replica_id()
        logger.info("replica %s shares SLO ownership and decisions through PostgreSQL", replica_id)
        return cls(
            engine,
            catalog,
            replica_id=replica_id,
            lease=lease,
            evaluation_timeout=evaluation_timeout,
            logger=logger,
        )

    def problems(self) -> list[str]:
        """For /readyz: why this replica should not get traffic now."""
        reason = self.latest.unavailable_reason()
        if reason is not None:
            return [reason]
        if self.link.problem is not None:
            return [f"shared database unreachable for {self.link.down_for():.0f}s: {self.link.problem}"]
        return []

    def start(self) -> None:
        self.latest.start()

    async def stop(self) -> None:
        await self.latest.stop()
        self.link.close()
