"""The SELECTs behind one audit page: filters, where the page starts, and how many match.

The page starts after a keyset cursor (a page token) or after ``offset`` matching rows, never
both. The count of matching rows rides along in the page's own statement as an uncorrelated
scalar subquery, so ``total`` and the records come from one snapshot on both backends: two
statements could straddle a newly written record and disagree. Both parts walk the same
indexes (every index leads with a filter column and ends in the keyset order); see
docs/audit.md for the plans and what they cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select

from aegis.store._paging import Cursor
from aegis.store._schema import evaluations
from aegis.store.base import AuditQuery, RecordKind

# The label of the count column beside the evaluation's own columns in a page row.
TOTAL_COLUMN = "matching_total"


def page_statement(query: AuditQuery, cursor: Cursor | None, fetch: int) -> Select[Any]:
    """Up to ``fetch`` matching rows, newest first, after ``cursor`` or ``query.offset``, with the count."""
    filters = _filters(query)
    total = count_statement(query).scalar_subquery().label(TOTAL_COLUMN)
    c = evaluations.c
    newest_first = (c.evaluated_at.desc(), c.id.desc())
    if query.offset:
        # Skip the offset in the index alone, then read just the page's rows: a plain OFFSET
        # reads every skipped row from the table (PostgreSQL fetched 16,667 rows to skip them).
        # The rows come back in no particular order: ``newest_first`` sorts the page (no temporary
        # B-tree in the database for what is at most one page).
        page_ids = (
            select(c.id)
            .where(*filters, *_after(cursor))
            .order_by(*newest_first)
            .limit(fetch)
            .offset(query.offset)
        )
        return select(evaluations, total).where(c.id.in_(page_ids.scalar_subquery()))
    return select(evaluations, total).where(*filters, *_after(cursor)).order_by(*newest_first).limit(fetch)


def newest_first(rows: Sequence[Row[Any]]) -> list[Row[Any]]:
    """A page's rows in the keyset order, newest first (``page_statement`` leaves offset pages unsorted)."""
    return sorted(rows, key=lambda row: (row.evaluated_at, row.id), reverse=True)


def count_statement(query: AuditQuery) -> Select[Any]:
    """How many rows match the filters (the cursor and offset play no part)."""
    return select(func.count()).select_from(evaluations).where(*_filters(query))


def _filters(query: AuditQuery) -> list[ColumnElement[bool]]:
    c = evaluations.c
    conditions: list[ColumnElement[bool]] = []
    if query.slo_id is not None:
        conditions.append(c.slo_id == query.slo_id)
    if query.service is not None:
        conditions.append(c.service == query.service)
    if query.environment is not None:
        conditions.append(c.environment == query.environment)
    if query.decision is not None:
        conditions.append(c.decision == query.decision.name)
    if query.start_time is not None:
        conditions.append(c.evaluated_at >= query.start_time)
    if query.end_time is not None:
        conditions.append(c.evaluated_at < query.end_time)
    return conditions + gate_request_filters(query)


def gate_request_filters(query: AuditQuery) -> list[ColumnElement[bool]]:
    """Revision 0005: the record kind, and who asked for what (columns NULL on evaluations)."""
    c = evaluations.c
    conditions: list[ColumnElement[bool]] = []
    if query.kind is RecordKind.EVALUATION:
        conditions.append(c.evaluation_ref.is_(None))
    elif query.kind is RecordKind.GATE_REQUEST:
        conditions.append(c.evaluation_ref.is_not(None))
    columns = (c.deployment_id, c.deploy_commit, c.pipeline_url, c.caller, c.api_key_name)
    for column, value in zip(columns, query.gate_filters, strict=True):
        if value is not None:
            conditions.append(column == value)
    return conditions


def _after(cursor: Cursor | None) -> list[ColumnElement[bool]]:
    """(evaluated_at, id) < cursor, spelled so both backends use the index range on evaluated_at.

    SQLite does not use the index for a row-value comparison in all plans.
    """
    if cursor is None:
        return []
    c = evaluations.c
    return [
        and_(
            c.evaluated_at <= cursor.timestamp,
            or_(c.evaluated_at < cursor.timestamp, c.id < cursor.evaluation_id),
        )
    ]
