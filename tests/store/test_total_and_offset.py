"""`total` and `offset` (v0.1.0's audit paging), on SQLite and on a real PostgreSQL (see conftest)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from aegis.engine.model import Evaluation
from aegis.spec.model import Decision
from aegis.store.base import MAX_LIMIT, AuditQuery, InvalidQueryError
from aegis.store.sql import SQLAuditStore
from tests.store._evaluations import FILTER_CASES, all_pages, dataset, ids, newest_first


async def _record_dataset(store: SQLAuditStore) -> list[Evaluation]:
    records = dataset()
    for evaluation in records:
        await store.record(evaluation)
    return records


@pytest.mark.parametrize(("filters", "predicate"), FILTER_CASES.values(), ids=FILTER_CASES.keys())
async def test_store_total_counts_every_match_not_the_page(
    store: SQLAuditStore, filters: dict[str, Any], predicate: Callable[[Evaluation], bool]
) -> None:
    expected = newest_first([e for e in await _record_dataset(store) if predicate(e)])
    query = AuditQuery(**filters, limit=2)
    totals = []
    while True:  # every page, first to last, carries the same total
        page = await store.query(query)
        totals.append(page.total)
        if page.next_page_token is None:
            break
        query = dataclasses.replace(query, page_token=page.next_page_token)
    assert set(totals) == {len(expected)}
    assert (await store.query(AuditQuery(**filters, limit=MAX_LIMIT))).total == len(expected)


@pytest.mark.parametrize(("filters", "predicate"), FILTER_CASES.values(), ids=FILTER_CASES.keys())
async def test_store_offset_pages_slice_the_newest_first_order(
    store: SQLAuditStore, filters: dict[str, Any], predicate: Callable[[Evaluation], bool]
) -> None:
    expected = ids(newest_first([e for e in await _record_dataset(store) if predicate(e)]))
    for offset in range(len(expected) + 2):
        page = await store.query(AuditQuery(**filters, limit=3, offset=offset))
        assert ids(page.records) == expected[offset : offset + 3], offset
        assert page.total == len(expected)
        assert (page.next_page_token is not None) == (offset + 3 < len(expected)), offset


async def test_store_token_of_an_offset_page_continues_after_it(store: SQLAuditStore) -> None:
    expected = ids(newest_first(await _record_dataset(store)))
    page = await store.query(AuditQuery(limit=5, offset=7))
    assert page.next_page_token is not None
    rest = await all_pages(store, AuditQuery(limit=4, page_token=page.next_page_token))
    assert ids(page.records) + ids(rest) == expected[7:]


async def test_store_offset_past_the_end_is_an_empty_page_that_still_counts(store: SQLAuditStore) -> None:
    records = await _record_dataset(store)
    blocks = [e for e in records if e.decision is Decision.BLOCK]
    page = await store.query(AuditQuery(decision=Decision.BLOCK, offset=len(blocks)))
    far = await store.query(AuditQuery(offset=2**31 - 1))
    assert (page.records, page.next_page_token, page.total) == ((), None, len(blocks))
    assert (far.records, far.next_page_token, far.total) == ((), None, len(records))


async def test_store_total_of_an_empty_log_is_zero(store: SQLAuditStore) -> None:
    assert (await store.query(AuditQuery())).total == 0
    assert (await store.query(AuditQuery(offset=5))).total == 0


async def test_store_refuses_a_negative_offset(store: SQLAuditStore) -> None:
    with pytest.raises(InvalidQueryError, match="offset must be 0 or more, got -1"):
        await store.query(AuditQuery(offset=-1))


async def test_store_refuses_an_offset_with_a_page_token(store: SQLAuditStore) -> None:
    await _record_dataset(store)
    token = (await store.query(AuditQuery(limit=2))).next_page_token
    assert token is not None
    with pytest.raises(InvalidQueryError, match="offset cannot be combined with page_token"):
        await store.query(AuditQuery(limit=2, page_token=token, offset=4))


# --- The plans: the page and its count walk the existing indexes ---------------------------------

PLAN_CASES: dict[str, AuditQuery] = {
    "no_filter": AuditQuery(),
    "slo_id": AuditQuery(slo_id="slo-a"),
    "service_and_environment": AuditQuery(service="search", environment="staging"),
    "decision": AuditQuery(decision=Decision.BLOCK),
    "environment_only": AuditQuery(environment="staging"),
    "slo_id_with_offset": AuditQuery(slo_id="slo-a", offset=2),
    # An empty page carries no count: the store counts on its own (the last statement sent).
    "offset_past_the_end": AuditQuery(slo_id="slo-a", offset=100),
}


@contextmanager
def _sent_statements(store: SQLAuditStore) -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)


async def _plan(store: SQLAuditStore, query: AuditQuery) -> str:
    """The database's plan for the exact SQL and parameters the store sent for ``query``."""
    with _sent_statements(store) as sent:
        await store.query(query)
    (statement, parameters) = sent[-1]
    with store.engine.connect() as connection:
        if store.engine.dialect.name == "sqlite":
            steps = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return "\n".join(str(step[-1]) for step in steps)
        # PostgreSQL prefers a sequential scan of a small table; forbid it to prove an index serves.
        connection.exec_driver_sql("SET enable_seqscan = off")
        return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))


@pytest.mark.parametrize("query", PLAN_CASES.values(), ids=PLAN_CASES.keys())
async def test_store_page_and_total_use_indexes_not_table_scans(
    store: SQLAuditStore, query: AuditQuery
) -> None:
    await _record_dataset(store)
    plan = await _plan(store, query)
    if store.engine.dialect.name == "sqlite":
        steps = plan.splitlines()
        # Every step walks an index; the count (the last step) reads only the index, never the rows.
        assert all("USING INDEX" in s or "USING COVERING INDEX" in s for s in steps if "audit" in s), plan
        assert "COVERING INDEX" in steps[-1], plan
        # The count rides in the page's own statement, unless the page came back empty.
        assert ("SCALAR SUBQUERY" in plan) == (query.offset < 100), plan
    else:
        assert "Seq Scan" not in plan, plan
        assert ("InitPlan" in plan) == (query.offset < 100), plan  # the count runs once, beside the page
