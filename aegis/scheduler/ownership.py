"""Which SLOs this process evaluates.

One process evaluates everything (``OwnAll``). Several replicas share the work: an ownership
implementation (e.g. PostgreSQL advisory locks) answers ``owns`` for each SLO, and the scheduler
skips the scheduled evaluations of SLOs owned elsewhere; their latest results come from the
shared store instead.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class Ownership(Protocol):
    def owns(self, slo_id: str) -> bool:
        """True when this process should run the scheduled evaluations of ``slo_id`` now."""
        ...

    async def start(self, slo_ids: Collection[str]) -> None:
        """Begin claiming SLOs among ``slo_ids``."""
        ...

    async def update(self, slo_ids: Collection[str]) -> None:
        """The SLO set changed (a reload)."""
        ...

    async def stop(self) -> None:
        """Release everything held."""
        ...


class OwnAll:
    """A single process: it owns every SLO."""

    def owns(self, slo_id: str) -> bool:
        return True

    async def start(self, slo_ids: Collection[str]) -> None:
        return None

    async def update(self, slo_ids: Collection[str]) -> None:
        return None

    async def stop(self) -> None:
        return None
