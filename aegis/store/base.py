"""The port between the scheduler/servicers and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from aegis.engine.model import Evaluation
from aegis.spec.model import Decision

if TYPE_CHECKING:
    from aegis.store.verify import ChainReport

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


class InvalidQueryError(ValueError):
    """A query the store cannot run, e.g. a page token it did not issue."""


class RecordRejectedError(ValueError):
    """The database refused the records themselves (a duplicate id, a value it cannot hold).

    Unlike a store failure (full disk, lost connection) it will not pass on retry, and the
    other records of a batch may well be fine on their own.
    """


class RecordKind(Enum):
    """What an audit record records: an evaluation, or a gate request answered from one."""

    EVALUATION = "evaluation"
    GATE_REQUEST = "gate_request"


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
    # Matching records to skip before the page (v0.1.0's paging). Never negative, and never
    # together with page_token: a token already says where the page starts.
    offset: int = 0
    # Revision 0005: only one kind of record; who asked for what (gate requests only).
    kind: RecordKind | None = None
    deployment_id: str | None = None
    commit: str | None = None
    pipeline_url: str | None = None
    caller: str | None = None
    api_key_name: str | None = None

    @property
    def gate_filters(self) -> tuple[str | None, ...]:
        """The filters only a gate-request record can match, in a fixed order."""
        return (self.deployment_id, self.commit, self.pipeline_url, self.caller, self.api_key_name)


@dataclass(frozen=True)
class AuditPage:
    records: tuple[Evaluation, ...]
    # None on the last page.
    next_page_token: str | None
    # Records matching the filters over all pages: neither the page size nor the position.
    total: int


class AuditStore(Protocol):
    async def record(self, evaluation: Evaluation) -> None:
        """Persist one evaluation durably. May raise; callers log and count."""
        ...

    async def record_many(self, batch: Sequence[Evaluation]) -> None:
        """Persist a batch durably in one transaction (group commit): all or nothing. May raise."""
        ...

    async def prune(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` of the oldest records older than ``before``; the count deleted."""
        ...

    async def query(self, query: AuditQuery) -> AuditPage:
        """Matching records, newest first, with stable paging, and how many match in all."""
        ...

    async def verify_chain(self, expected_head: tuple[int, str] | None = None) -> ChainReport:
        """Walk the hash chain (aegis.store.verify): intact, or the first broken record; with
        ``expected_head`` (sequence, hash noted earlier), also whether the chain still holds it."""
        ...

    async def aclose(self) -> None: ...
