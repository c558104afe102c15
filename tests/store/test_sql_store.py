"""Behaviour of SQLAuditStore, run on SQLite and on a real PostgreSQL (see conftest)."""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from aegis.engine.model import Evaluation, SLIResult, WindowBurn
from aegis.spec.durations import Window
from aegis.spec.model import Decision
from aegis.store._codec import evaluation_to_row
from aegis.store._schema import evaluations
from aegis.store.base import MAX_LIMIT, AuditQuery, InvalidQueryError, RecordRejectedError
from aegis.store.sql import SQLAuditStore
from tests.store._evaluations import (
    FILTER_CASES,
    T0,
    all_pages,
    dataset,
    full_evaluation,
    ids,
    minimal_evaluation,
)

ROUND_TRIP_CASES = {
    "every_field_set": full_evaluation(),
    "no_sli_no_evidence_no_data_timestamp": minimal_evaluation("ev-min", T0),
    "non_finite_floats": full_evaluation(
        sli=SLIResult(value=math.nan, error_rate=math.inf, budget_remaining=-math.inf, window=Window(1)),
        burn_rates={"1w": WindowBurn(burn_rate=math.nan, threshold=-math.inf)},
    ),
    "each_flag_alone": full_evaluation(
        is_stale=False, has_no_traffic=True, has_missing_data=False, has_too_few_data_points=False
    ),
    "block_with_unicode": full_evaluation(decision=Decision.BLOCK, reasons=("Grenzwert überschritten ✓",)),
}


@pytest.mark.parametrize("evaluation", ROUND_TRIP_CASES.values(), ids=ROUND_TRIP_CASES.keys())
async def test_store_round_trips_every_field(store: SQLAuditStore, evaluation: Evaluation) -> None:
    await store.record(evaluation)
    page = await store.query(AuditQuery())
    assert len(page.records) == 1
    # repr, not ==: it also tells NaN from NaN-turned-None, 0.30000000000000004
    # from 0.3, list from tuple and the order of burn_rates.
    assert repr(page.records[0]) == repr(evaluation)
    assert list(page.records[0].burn_rates) == list(evaluation.burn_rates)


async def test_store_returns_times_as_the_same_instant_in_utc(store: SQLAuditStore) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    evaluation = full_evaluation(timestamp=T0.astimezone(india), data_timestamp=T0.astimezone(india))
    await store.record(evaluation)
    (stored,) = (await store.query(AuditQuery())).records
    assert stored.timestamp == T0 and stored.timestamp.tzinfo == UTC
    assert stored.data_timestamp == T0 and stored.data_timestamp.tzinfo == UTC


async def test_store_orders_by_real_time_not_by_local_clock_text(store: SQLAuditStore) -> None:
    berlin_summer = timezone(timedelta(hours=2))
    await store.record(
        minimal_evaluation("ev-a", datetime(2024, 5, 1, 13, 0, tzinfo=berlin_summer))
    )  # 11:00Z
    await store.record(minimal_evaluation("ev-b", datetime(2024, 5, 1, 12, 0, tzinfo=UTC)))
    await store.record(
        minimal_evaluation("ev-c", datetime(2024, 5, 1, 7, 30, tzinfo=timezone(-timedelta(hours=4))))
    )
    page = await store.query(AuditQuery())
    assert ids(page.records) == ["ev-b", "ev-c", "ev-a"]


async def test_store_orders_newest_first_then_by_id_descending(store: SQLAuditStore) -> None:
    for evaluation_id, minutes in [("ev1", 0), ("ev3", 1), ("ev2", 1), ("ev4", 0), ("ev0", 2)]:
        await store.record(minimal_evaluation(evaluation_id, T0 + timedelta(minutes=minutes)))
    page = await store.query(AuditQuery())
    assert ids(page.records) == ["ev0", "ev3", "ev2", "ev4", "ev1"]


@pytest.mark.parametrize(("filters", "predicate"), FILTER_CASES.values(), ids=FILTER_CASES.keys())
async def test_store_filters_match_a_plain_python_filter(
    store: SQLAuditStore, filters: dict[str, Any], predicate: Callable[[Evaluation], bool]
) -> None:
    records = dataset()
    for evaluation in records:
        await store.record(evaluation)
    expected = sorted(filter(predicate, records), key=lambda e: (e.timestamp, e.evaluation_id), reverse=True)
    one_page = await store.query(AuditQuery(**filters, limit=MAX_LIMIT))
    paged = await all_pages(store, AuditQuery(**filters, limit=3))
    assert ids(one_page.records) == ids(expected)
    assert one_page.next_page_token is None
    assert ids(paged) == ids(expected)


async def test_store_pages_stay_stable_while_newer_records_arrive(store: SQLAuditStore) -> None:
    # Three share each timestamp, so page boundaries fall inside ties.
    original = [minimal_evaluation(f"ev{i:02d}", T0 + timedelta(minutes=i // 3)) for i in range(30)]
    for evaluation in original:
        await store.record(evaluation)
    newest = max(e.timestamp for e in original)
    seen: list[str] = []
    query = AuditQuery(limit=10)
    for page_number in range(3):
        page = await store.query(query)
        seen.extend(ids(page.records))
        # Newer than everything already there: the top of the log moves, later pages must not.
        await store.record(minimal_evaluation(f"new{page_number}-same-time", newest))
        await store.record(
            minimal_evaluation(f"new{page_number}-later", newest + timedelta(hours=page_number + 1))
        )
        if page_number < 2:
            assert page.next_page_token is not None
            query = dataclasses.replace(query, page_token=page.next_page_token)
        else:
            assert page.next_page_token is None
    expected = sorted(original, key=lambda e: (e.timestamp, e.evaluation_id), reverse=True)
    assert seen == ids(expected)


async def test_store_last_full_page_has_no_token(store: SQLAuditStore) -> None:
    for i in range(4):
        await store.record(minimal_evaluation(f"ev{i}", T0 + timedelta(seconds=i)))
    first = await store.query(AuditQuery(limit=2))
    second = await store.query(AuditQuery(limit=2, page_token=first.next_page_token))
    assert first.next_page_token is not None
    assert ids(second.records) == ["ev1", "ev0"]
    assert second.next_page_token is None


async def test_store_token_survives_a_changed_page_size(store: SQLAuditStore) -> None:
    for i in range(5):
        await store.record(minimal_evaluation(f"ev{i}", T0 + timedelta(seconds=i)))
    first = await store.query(AuditQuery(limit=2))
    rest = await store.query(AuditQuery(limit=10, page_token=first.next_page_token))
    assert ids(rest.records) == ["ev2", "ev1", "ev0"]


CHANGED_FILTERS: dict[str, dict[str, Any]] = {
    "slo_id": {"slo_id": "other"},
    "service": {"service": "other"},
    "environment": {"environment": "other"},
    "decision": {"decision": Decision.BLOCK},
    "start_time": {"start_time": T0 - timedelta(days=2)},
    "end_time": {"end_time": T0 + timedelta(days=2)},
    "filter_dropped": {"slo_id": None},
}


@pytest.mark.parametrize("change", CHANGED_FILTERS.values(), ids=CHANGED_FILTERS.keys())
async def test_store_refuses_token_used_with_other_filters(
    store: SQLAuditStore, change: dict[str, Any]
) -> None:
    for i in range(3):
        await store.record(minimal_evaluation(f"ev{i}", T0 + timedelta(seconds=i)))
    query = AuditQuery(
        slo_id="api-availability", decision=Decision.ALLOW, start_time=T0 - timedelta(days=1), limit=1
    )
    token = (await store.query(query)).next_page_token
    assert token is not None
    with pytest.raises(InvalidQueryError, match="different filters"):
        await store.query(dataclasses.replace(query, page_token=token, **change))


@pytest.mark.parametrize(
    "token",
    [
        "garbage!",
        "bm90IGpzb24",  # base64 of "not json"
        "W10",  # base64 of "[]"
        "eyJ2IjoxfQ",  # base64 of {"v":1}
        "x" * 5000,
        "eyJ2Ijo5LCJ0IjowLCJpIjoiYSIsImYiOiJiIn0",  # a future version
    ],
    ids=["bad_alphabet", "not_json", "not_an_object", "missing_fields", "too_long", "unknown_version"],
)
async def test_store_refuses_malformed_token(store: SQLAuditStore, token: str) -> None:
    with pytest.raises(InvalidQueryError, match="malformed"):
        await store.query(AuditQuery(page_token=token))


async def test_store_treats_empty_token_as_first_page(store: SQLAuditStore) -> None:
    await store.record(minimal_evaluation("ev0", T0))
    page = await store.query(AuditQuery(page_token=""))
    assert ids(page.records) == ["ev0"]


async def test_store_clamps_limit_to_bounds(store: SQLAuditStore) -> None:
    rows = [
        evaluation_to_row(minimal_evaluation(f"ev{i:04d}", T0 + timedelta(seconds=i)))
        for i in range(MAX_LIMIT + 1)
    ]
    with store.engine.begin() as connection:
        connection.execute(evaluations.insert(), rows)
    too_big = await store.query(AuditQuery(limit=MAX_LIMIT * 5))
    too_small = await store.query(AuditQuery(limit=0))
    assert len(too_big.records) == MAX_LIMIT and too_big.next_page_token is not None
    assert ids(too_small.records) == [f"ev{MAX_LIMIT:04d}"]


async def test_store_record_raises_on_duplicate_id_and_keeps_the_first(store: SQLAuditStore) -> None:
    first = minimal_evaluation("ev-dup", T0)
    await store.record(first)
    # The store says the record, not the database, is at fault, so the writer skips it alone.
    with pytest.raises(RecordRejectedError, match=r"(?i)unique") as raised:
        await store.record(full_evaluation(evaluation_id="ev-dup"))
    assert isinstance(raised.value.__cause__, IntegrityError)
    page = await store.query(AuditQuery())
    assert page.records == (first,)


async def test_store_record_refuses_naive_timestamp(store: SQLAuditStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.record(minimal_evaluation("ev-naive", T0.replace(tzinfo=None)))
    assert (await store.query(AuditQuery())).records == ()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (AuditQuery(start_time=T0.replace(tzinfo=None)), "start_time"),
        (AuditQuery(end_time=T0.replace(tzinfo=None)), "end_time"),
    ],
    ids=["start_time", "end_time"],
)
async def test_store_refuses_naive_query_times(store: SQLAuditStore, query: AuditQuery, field: str) -> None:
    with pytest.raises(InvalidQueryError, match=field):
        await store.query(query)


async def test_store_keeps_every_concurrent_record(store: SQLAuditStore) -> None:
    batch = [minimal_evaluation(f"ev{i:02d}", T0 + timedelta(seconds=i)) for i in range(40)]
    await asyncio.gather(*(store.record(evaluation) for evaluation in batch))
    page = await store.query(AuditQuery(limit=100))
    assert sorted(ids(page.records)) == sorted(ids(batch))


async def test_store_refuses_calls_after_aclose(store_url: str) -> None:
    closed = SQLAuditStore.from_url(store_url)
    await closed.aclose()
    await closed.aclose()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await closed.record(minimal_evaluation("ev0", T0))
    with pytest.raises(RuntimeError, match="closed"):
        await closed.query(AuditQuery())
