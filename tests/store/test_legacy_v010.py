"""v0.1.0's history after an upgrade: every record, as v0.1.0 reported it, and v0.1.0's tables untouched."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from aegis.engine.model import Evaluation, SLIResult, WindowBurn
from aegis.spec.durations import Window
from aegis.spec.model import Decision
from aegis.store import database, migrate
from aegis.store.base import AuditQuery
from aegis.store.legacy_v010 import (
    Definition,
    UnreadableRow,
    definition_from_row,
    parse_go_timestamp,
    to_evaluation,
)
from aegis.store.sql import SQLAuditStore
from tests.store._v010 import (
    FAST_BURNING,
    HEALTHY,
    ROWS,
    SLOW_BURN,
    STALE,
    V010Row,
    append_v010_rows,
    create_v010_database,
    dump_v010_tables,
    spec_json,
)

THIRTY_DAYS = Window.parse("30d")


def _utc(*parts: int) -> datetime:
    return datetime(*parts).replace(tzinfo=UTC)  # type: ignore[arg-type]


def _checkout(evaluation_id: str, decision: Decision, timestamp: datetime, **changes: object) -> Evaluation:
    values: dict[str, object] = {
        "evaluation_id": evaluation_id,
        "slo_id": "checkout-availability",
        "service": "checkout",
        "environment": "prod",
        "decision": decision,
        "timestamp": timestamp,
        "ttl_seconds": 30,
        "sli": SLIResult(0.9995, 0.0004999999999999449, 0.5000000000000555, THIRTY_DAYS),
        "reasons": ("all burn rate checks passed",),
        "burn_rates": {
            "5m": WindowBurn(0.4999999999999445, 14.0),
            "1h": WindowBurn(0.4999999999999445, 14.0),
            "30d": WindowBurn(0.4999999999999445, 0.0),
        },
    }
    values.update(changes)
    return Evaluation(**values)  # type: ignore[arg-type]


def _fast_burn_rates(rate: float) -> dict[str, WindowBurn]:
    return {"5m": WindowBurn(rate, 14.0), "1h": WindowBurn(rate, 14.0), "30d": WindowBurn(rate, 0.0)}


# What v0.1.0 reported for ROWS, newest first (the audit's order).
EXPECTED = [
    _checkout("v0.1.0-4", Decision.WARN, _utc(2026, 3, 29, 4), is_stale=True, reasons=("data is stale",)),
    Evaluation(
        evaluation_id="v0.1.0-5",
        slo_id="search-latency",
        service="search",
        environment="prod",
        decision=Decision.WARN,
        timestamp=_utc(2026, 3, 29, 3, 30),
        ttl_seconds=60,
        sli=SLIResult(0.9999, 9.999999999998899e-05, 0.9000000000000111, THIRTY_DAYS),
        reasons=("rule slow-burn triggered: short=8.00x, long=16.67x (threshold=6.00x)",),
        # Shortest first; each window takes its first rule's threshold; 30d has no rule.
        burn_rates={
            "5m": WindowBurn(10.0, 14.0),
            "1h": WindowBurn(8.0, 14.0),
            "6h": WindowBurn(16.666666666666703, 6.0),
            "30d": WindowBurn(0.0999999999999889, 0.0),
        },
    ),
    _checkout(
        "v0.1.0-3",
        Decision.WARN,
        _utc(2026, 3, 29, 2, 30, 0, 500000),
        sli=SLIResult(0.0, 0.0, 1.0, THIRTY_DAYS),
        reasons=("insufficient data (zero traffic)",),
        burn_rates=_fast_burn_rates(0.0),
        has_no_traffic=True,
    ),
    _checkout(
        "v0.1.0-2",
        Decision.BLOCK,
        _utc(2026, 3, 29, 0, 30, 30, 123456),
        sli=SLIResult(0.98, 0.020000000000000018, 0.0, THIRTY_DAYS),
        reasons=("rule fast-burn triggered: short=20.00x, long=20.00x (threshold=14.00x)",),
        burn_rates=_fast_burn_rates(20.0),
    ),
    _checkout("v0.1.0-1", Decision.ALLOW, _utc(2026, 3, 29, 0, 30, 0, 123456)),
]


@pytest.mark.parametrize(
    ("written", "instant"),
    [
        ("2026-03-29 01:30:30.123456789+01:00", _utc(2026, 3, 29, 0, 30, 30, 123456)),
        ("2026-03-29 09:00:00+05:30", _utc(2026, 3, 29, 3, 30)),
        ("2026-03-28 22:30:00.5-04:00", _utc(2026, 3, 29, 2, 30, 0, 500000)),
        ("2026-03-29 04:00:00.000000007+00:00", _utc(2026, 3, 29, 4, 0)),
        ("2026-03-29T04:00:00Z", _utc(2026, 3, 29, 4, 0)),
        ("2026-03-29 04:00:00", _utc(2026, 3, 29, 4, 0)),  # go-sqlite3 reads no zone as UTC
        ("2026-03-29 04:00", _utc(2026, 3, 29, 4, 0)),
        ("2026-03-29", _utc(2026, 3, 29)),
    ],
)
def test_go_timestamps_read_as_the_same_instant_in_utc(written: str, instant: datetime) -> None:
    parsed = parse_go_timestamp(written)
    assert parsed == instant and parsed.tzinfo == UTC


@pytest.mark.parametrize(
    "written", ["", "yesterday", "2026-13-01 00:00:00", "2026-03-29 04:00:00+25:00", 1711684800]
)
def test_go_timestamps_that_are_not_times_are_unreadable(written: object) -> None:
    with pytest.raises(UnreadableRow, match="timestamp"):
        parse_go_timestamp(written)


def _row(row: V010Row, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {"id": 1, "environment": "prod", **row.__dict__}
    values.update(changes)
    return values


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"decision": "MAYBE"}, "decision"),
        ({"reasons_json": "{not json"}, "reasons_json is not JSON"),
        ({"reasons_json": '"one reason"'}, "array of strings"),
        ({"burn_rates_json": '{"5m": {"Window": "5m"}}'}, "BurnRate"),
        ({"sli": None}, "sli"),
    ],
)
def test_v010_rows_that_cannot_be_read_say_why(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(UnreadableRow, match=problem):
        to_evaluation(_row(HEALTHY, **changes), Definition(window=THIRTY_DAYS))


def test_v010_null_reasons_read_as_none() -> None:
    # Go marshals a nil slice as null.
    assert to_evaluation(_row(HEALTHY, reasons_json="null")).reasons == ()


def test_v010_row_without_a_definition_takes_its_longest_window_as_the_sli_window() -> None:
    evaluation = to_evaluation(_row(FAST_BURNING))
    assert evaluation.sli is not None and evaluation.sli.window == THIRTY_DAYS
    assert evaluation.ttl_seconds == 0
    thresholds = {key: burn.threshold for key, burn in evaluation.burn_rates.items()}
    assert thresholds == {"5m": 0, "1h": 0, "30d": 0}


def test_v010_definition_gives_window_ttl_and_first_rule_thresholds() -> None:
    definition = definition_from_row(
        {
            "compliance_window": "28d",
            "evaluation_interval": "2m",
            "spec_json": spec_json([("a", "5m", "60m", 14.4, "BLOCK"), SLOW_BURN]),
        }
    )
    assert definition.window == Window.parse("28d") and definition.ttl_seconds == 120
    assert definition.thresholds == {Window(300): 14.4, Window(3600): 14.4, Window(21600): 6.0}


def test_v010_definition_that_does_not_parse_gives_nothing() -> None:
    definition = definition_from_row(
        {"compliance_window": "a month", "evaluation_interval": "0s", "spec_json": "{"}
    )
    assert definition == Definition()


def _upgrade(path: Path) -> migrate.UpgradeResult:
    engine = database.create(database.target_url(str(path)))
    try:
        return migrate.upgrade(engine)
    finally:
        engine.dispose()


async def _records(path: Path, query: AuditQuery | None = None) -> list[Evaluation]:
    store = SQLAuditStore.from_sqlite_path(path, schema="never")
    try:
        return list((await store.query(query or AuditQuery())).records)
    finally:
        await store.aclose()


async def test_v010_database_shows_every_record_as_v010_reported_it(tmp_path: Path) -> None:
    path = tmp_path / "aegis.db"
    create_v010_database(path)
    before = dump_v010_tables(path)

    result = _upgrade(path)

    assert (result.before, result.after, result.v010.imported) == ((), migrate.head(), len(ROWS))
    assert await _records(path) == EXPECTED
    assert dump_v010_tables(path) == before, "v0.1.0's tables must stay exactly as they were"


async def test_v010_records_answer_the_audit_filters(tmp_path: Path) -> None:
    path = tmp_path / "aegis.db"
    create_v010_database(path)
    _upgrade(path)
    blocked = await _records(path, AuditQuery(decision=Decision.BLOCK))
    search = await _records(path, AuditQuery(service="search"))
    window = await _records(
        path, AuditQuery(start_time=_utc(2026, 3, 29, 2, 0), end_time=_utc(2026, 3, 29, 4, 0))
    )
    assert [r.evaluation_id for r in blocked] == ["v0.1.0-2"]
    assert [r.evaluation_id for r in search] == ["v0.1.0-5"]
    assert [r.evaluation_id for r in window] == ["v0.1.0-5", "v0.1.0-3"]


async def test_v010_import_is_idempotent_and_picks_up_rows_written_after_a_rollback(tmp_path: Path) -> None:
    path = tmp_path / "aegis.db"
    create_v010_database(path, (HEALTHY, FAST_BURNING))
    assert _upgrade(path).v010.imported == 2
    assert _upgrade(path).v010.imported == 0
    # The user rolls back to v0.1.0 for a while; it keeps writing its own table.
    with sqlite3.connect(path) as v010:
        append_v010_rows(v010, (STALE,))
    v010.close()
    # Opening the store (SQLite upgrades itself) is all it takes.
    store = SQLAuditStore.from_sqlite_path(path)
    await store.aclose()
    records = await _records(path)
    assert [r.evaluation_id for r in records] == ["v0.1.0-3", "v0.1.0-2", "v0.1.0-1"]
    assert records[0] == dataclasses.replace(EXPECTED[0], evaluation_id="v0.1.0-3")


async def test_v010_unreadable_rows_are_skipped_and_left_in_place(tmp_path: Path) -> None:
    path = tmp_path / "aegis.db"
    broken = V010Row(**{**HEALTHY.__dict__, "timestamp": "not a time"})
    create_v010_database(path, (HEALTHY, broken, FAST_BURNING))
    result = _upgrade(path)
    assert (result.v010.imported, result.v010.skipped) == (2, (2,))
    assert [r.evaluation_id for r in await _records(path)] == ["v0.1.0-3", "v0.1.0-1"]
    with sqlite3.connect(path) as connection:
        kept = connection.execute("SELECT timestamp FROM evaluations WHERE id = 2").fetchone()
    assert kept == ("not a time",)
    connection.close()


async def test_a_foreign_evaluations_table_is_not_taken_for_v010(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE evaluations (id INTEGER PRIMARY KEY, score REAL)")
        connection.execute("INSERT INTO evaluations (score) VALUES (0.5)")
    connection.close()
    result = _upgrade(path)
    assert not result.v010.found
    assert await _records(path) == []
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT * FROM evaluations").fetchall() == [(1, 0.5)]
    connection.close()


async def test_v010_import_survives_many_rows_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "aegis.db"
    create_v010_database(path, (HEALTHY,) * 2500)
    assert _upgrade(path).v010.imported == 2500
    engine = database.create(database.target_url(str(path)))
    try:
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM audit_evaluations")).scalar_one()
            progress = connection.execute(text("SELECT last_id FROM legacy_imports")).scalar_one()
    finally:
        engine.dispose()
    assert (count, progress) == (2500, 2500)
