"""The port between the scheduler/servicers and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aegis.engine.model import Evaluation
from aegis.spec.model import Decision

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


class InvalidQueryError(ValueError):
    """A query the store cannot run, e.g. a page token it did not issue."""


@dataclass(frozen=True)
class AuditQuery:
    """Filters for the audit log; None means "any". Times are timezone-aware UTC."""

    slo_id: str | None = None
    service: str | None = None
    environment: str | None = None
    decision: Decision | None = None
    start_time: datetime | None = None  # inclusive
    end_time: datetime | None = None  # exclusive
    limit: int = DEFAULT_LIMIT
    page_token: str | None = None


@dataclass(frozen=True)
class AuditPage:
    records: tuple[Evaluation, ...]
    # None on the last page.
    next_page_token: str | None


class AuditStore(Protocol):
    async def record(self, evaluation: Evaluation) -> None:
        """Persist one evaluation durably. May raise; callers log and count."""
        ...

    async def query(self, query: AuditQuery) -> AuditPage:
        """Matching records, newest first, with stable paging."""
        ...

    async def aclose(self) -> None: ...
