"""``aegis audit verify`` on a real SQLite file and a real PostgreSQL: exit 0 on an intact chain,
1 naming the first record that raw SQL changed, 2 when there is nothing it can check."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from aegis.store import database, migrate
from aegis.store.sql import SQLAuditStore
from tests._postgres import PostgresServer, create_database
from tests.cli._aegis import aegis
from tests.store._evaluations import T0, full_evaluation, minimal_evaluation


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def audited(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, SQLAuditStore]]:
    """A database with three records, and the --db-url that names it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.url(create_database(server, f"verify_{tmp_path.name[-20:].lower().replace('-', '_')}"))
        engine = database.create(database.parse_url(url))
        migrate.upgrade(engine)
        engine.dispose()
    store = SQLAuditStore.from_url(url)
    await store.record_many(
        [minimal_evaluation("ev-1", T0), full_evaluation(), minimal_evaluation("ev-3", T0)]
    )
    try:
        yield url, store
    finally:
        await store.aclose()


async def test_verify_exits_0_on_an_intact_chain(audited: tuple[str, SQLAuditStore]) -> None:
    url, _ = audited

    ran = await aegis("audit", "verify", "--db-url", url, process=True)

    assert ran.code == 0, ran
    assert ": audit chain intact: 3 record(s) from sequence 1 to 3; head " in ran.out
    as_json = json.loads((await aegis("audit", "verify", "--db-url", url, "--output", "json")).out)
    assert as_json["intact"] is True and as_json["recordsChecked"] == "3"


async def test_verify_names_the_record_raw_sql_changed(audited: tuple[str, SQLAuditStore]) -> None:
    url, store = audited
    with store.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_evaluations SET would_be_decision = 'WARN' WHERE id = 'ev-full'")
        )

    ran = await aegis("audit", "verify", "--db-url", url, process=True)

    assert ran.code == 1, ran
    assert ran.out.strip().endswith(
        "audit chain broken at record ev-full (sequence 2): its contents differ from what was hashed "
        "when it was written"
    ), ran.out
    as_json = json.loads((await aegis("audit", "verify", "--db-url", url, "--output", "json")).out)
    assert as_json["intact"] is False
    assert as_json["firstBroken"]["id"] == "ev-full" and as_json["firstBroken"]["sequence"] == "2"


async def test_verify_exits_1_on_a_record_outside_the_chain(audited: tuple[str, SQLAuditStore]) -> None:
    url, store = audited
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_evaluations (id, slo_id, service, environment, decision, evaluated_at, "
                "ttl_seconds, is_stale, has_no_traffic, has_missing_data, has_too_few_data_points, "
                "has_clamped_data, reasons, burn_rates, rules) VALUES ('forged', 'a', 'b', 'c', 'ALLOW', "
                ":t, 60, false, false, false, false, false, '[]', '[]', '[]')"
            ),
            {"t": T0},
        )

    ran = await aegis("audit", "verify", "--db-url", url)

    assert ran.code == 1, ran
    assert "1 record(s) are outside it (e.g. forged)" in ran.out


async def test_verify_exits_2_when_it_cannot_check(tmp_path: Path) -> None:
    missing = await aegis("audit", "verify", "--db", str(tmp_path / "nope.db"))
    assert (missing.code, missing.err.strip()) == (
        2,
        f"aegis audit verify: error: no SQLite database at {tmp_path / 'nope.db'}",
    )
    assert not (tmp_path / "nope.db").exists()
    unreachable = await aegis("audit", "verify", "--db-url", "postgresql://nobody@127.0.0.1:1/none")
    assert unreachable.code == 2 and unreachable.err.startswith(
        "aegis audit verify: error: cannot open audit database"
    )
    old = tmp_path / "old.db"
    engine = database.create(database.target_url(str(old)))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE unrelated (x INTEGER)"))
    engine.dispose()
    behind = await aegis("audit", "verify", "--db", str(old))
    assert behind.code == 2 and "no AegisSLO schema yet" in behind.err, behind


async def test_expect_head_catches_a_cut_tail_and_a_rewritten_chain(
    audited: tuple[str, SQLAuditStore],
) -> None:
    """A walk alone cannot see the newest records deleted, or every hash recomputed after an edit;
    the head noted earlier can."""
    url, store = audited
    first = await aegis("audit", "verify", "--db-url", url)
    head = first.out.strip().rsplit("head ", 1)[1]
    assert head.startswith("3:") and len(head) == 2 + 64
    await store.record(minimal_evaluation("ev-4", T0))
    assert (await aegis("audit", "verify", "--db-url", url, "--expect-head", head)).code == 0

    with store.engine.begin() as connection:  # cut the tail: the rest is a valid, shorter chain
        connection.execute(text("DELETE FROM audit_evaluations WHERE chain_seq >= 3"))
    cut = await aegis("audit", "verify", "--db-url", url, "--expect-head", head, process=True)
    assert cut.code == 1, cut
    assert "audit chain intact: 2 record(s)" in cut.out  # the walk alone is satisfied, but:
    assert "; but the expected head: no record at sequence 3, noted earlier: records were cut" in cut.out

    # Rewritten: records appended again from sequence 3 carry other hashes than the one noted.
    await store.record(minimal_evaluation("ev-forged", T0))
    rewritten = await aegis("audit", "verify", "--db-url", url, "--expect-head", head)
    assert (
        rewritten.code == 1 and "record ev-forged at sequence 3 does not have the hash noted" in rewritten.out
    )
    bad = await aegis("audit", "verify", "--db-url", url, "--expect-head", "three")
    assert bad.code == 2 and "--expect-head must be SEQUENCE:HASH" in bad.err
