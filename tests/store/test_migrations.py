"""The versioned schema on real SQLite files and a real PostgreSQL: build, recognise, refuse, race."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from aegis.store import database, migrate
from aegis.store._codec import evaluation_to_row
from aegis.store._schema import evaluations, metadata
from aegis.store.base import AuditQuery
from aegis.store.sql import AuditStoreOpenError, SQLAuditStore
from aegis.store.verify import verify_chain
from tests._postgres import PostgresServer, create_database
from tests.store._evaluations import T0, full_evaluation, minimal_evaluation

# What the project created with metadata.create_all before migrations existed.
PRE_MIGRATION_TABLES = [metadata.tables["audit_evaluations"]]
# Columns later revisions added: a table from before migrations (revision 0001's shape) lacks them.
LATER_COLUMNS = (
    "dry_run", "would_be_decision", "budget_policy",  # 0003
    "evaluation_ref", "requested_at", "deployment_id", "deploy_commit", "pipeline_url", "caller",
    "api_key_name", "chain_seq", "chain_prev_hash", "chain_hash",  # 0005
)  # fmt: skip
LATER_INDEXES = ("ix_audit_deployment_time", "ux_audit_chain_seq")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.url(create_database(server, f"mig_{uuid.uuid4().hex[:12]}"))


@pytest.fixture
def engine(empty_url: str) -> Iterator[Engine]:
    created = database.create(database.parse_url(empty_url))
    yield created
    created.dispose()


def _schema(engine: Engine) -> dict[str, Any]:
    """Everything reflection sees of our tables: columns, keys, indexes, checks."""
    inspector = sa.inspect(engine)
    described: dict[str, Any] = {}
    for table in sorted(metadata.tables):
        described[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)
            ),
            "checks": sorted((c["name"], c["sqltext"]) for c in inspector.get_check_constraints(table)),
            "uniques": inspector.get_unique_constraints(table),
            "foreign_keys": inspector.get_foreign_keys(table),
        }
    return described


def _version_rows(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(f"SELECT version_num FROM {migrate.VERSION_TABLE}")).scalars())


def test_revisions_are_one_numbered_line_with_one_head() -> None:
    script = migrate.script_directory()
    assert script.get_heads() == [migrate.head()], "two revisions claim the same parent: renumber yours"
    chain = [revision for revision in reversed(list(script.walk_revisions()))]
    for number, revision in enumerate(chain, start=1):
        assert revision.revision == f"{number:04d}"
        assert revision.down_revision == (None if number == 1 else f"{number - 1:04d}")
        assert revision.path is not None
        assert re.fullmatch(rf"rev_{revision.revision}_[a-z0-9_]+\.py", Path(revision.path).name)
    files = sorted(p.name for p in (migrate.MIGRATIONS_DIR / "versions").glob("rev_*.py"))
    assert len(files) == len(chain)


def test_migrations_build_exactly_the_declared_schema(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": migrate.include_object,
                "version_table": migrate.VERSION_TABLE,
            },
        )
        differences = compare_metadata(context, metadata)
    assert differences == [], "aegis/store/_schema.py changed without a revision (docs/audit.md)"


def test_migrations_build_what_create_all_builds(empty_url: str, engine: Engine, tmp_path: Path) -> None:
    # create_all's own result, in a second empty database of the same backend.
    if engine.dialect.name == "sqlite":
        reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    else:
        server = sa.make_url(empty_url)
        reference_url = server.set(database=f"ref_{uuid.uuid4().hex[:12]}").render_as_string(False)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{sa.make_url(reference_url).database}"')
    reference = database.create(database.parse_url(reference_url))
    try:
        metadata.create_all(reference)
        migrate.upgrade(engine)
        assert _schema(engine) == _schema(reference)
    finally:
        reference.dispose()


def test_empty_database_upgrades_to_head(engine: Engine) -> None:
    assert migrate.status(engine).describe() == "no AegisSLO schema yet"
    result = migrate.upgrade(engine)
    assert (result.before, result.after, result.stamped) == ((), migrate.head(), False)
    assert migrate.status(engine).up_to_date
    assert _version_rows(engine) == [migrate.head()]


async def test_pre_migration_database_is_stamped_and_keeps_its_rows(empty_url: str, engine: Engine) -> None:
    metadata.create_all(engine, tables=PRE_MIGRATION_TABLES)
    with engine.begin() as connection:
        for index in LATER_INDEXES:
            connection.exec_driver_sql(f"DROP INDEX {index}")
        for column in LATER_COLUMNS:
            connection.exec_driver_sql(f"ALTER TABLE audit_evaluations DROP COLUMN {column}")
    # Rows as they were written then: no dry run, no budget policy (what the later columns default to).
    rows = [
        full_evaluation(budget=None, dry_run=False, would_be_decision=None),
        minimal_evaluation("ev-old", T0 - timedelta(days=3)),
    ]
    with engine.begin() as connection:
        old_rows = [{k: v for k, v in evaluation_to_row(r).items() if k not in LATER_COLUMNS} for r in rows]
        connection.execute(evaluations.insert(), old_rows)
    status = migrate.status(engine)
    assert status.pre_migration and not status.current

    result = migrate.upgrade(engine)

    assert result.stamped and result.after == migrate.head()
    assert database.describe_upgrade(result) == (
        f"audit table from before migrations stamped at 0001; schema upgraded to {migrate.head()} (head); "
        "2 record(s) from before the hash chain sealed into it"
    )
    store = SQLAuditStore.from_url(empty_url, schema="never")
    try:
        assert list((await store.query(AuditQuery())).records) == rows
    finally:
        await store.aclose()


def test_pre_migration_table_that_is_not_ours_is_left_alone(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE audit_evaluations (id VARCHAR PRIMARY KEY, note VARCHAR)")
    with pytest.raises(migrate.SchemaError, match=r"lacks columns .*slo_id.*left untouched"):
        migrate.upgrade(engine)
    assert [c["name"] for c in sa.inspect(engine).get_columns("audit_evaluations")] == ["id", "note"]
    assert not sa.inspect(engine).has_table(migrate.VERSION_TABLE)


def test_failed_upgrade_changes_nothing(engine: Engine) -> None:
    # A table in the way of revision 0002 makes the upgrade fail after 0001's DDL ran.
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE legacy_imports (whatever INTEGER)")
    with pytest.raises(sa.exc.SQLAlchemyError, match="legacy_imports"):
        migrate.upgrade(engine)
    inspector = sa.inspect(engine)
    assert not inspector.has_table("audit_evaluations"), "revision 0001 must have rolled back too"
    assert not inspector.has_table(migrate.VERSION_TABLE)


def _stamp_unknown_revision(engine: Engine, revision: str = "9999") -> None:
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = :v"), {"v": revision})


@pytest.mark.parametrize("policy", migrate.SCHEMA_POLICIES)
def test_schema_from_a_newer_version_is_refused(empty_url: str, engine: Engine, policy: str) -> None:
    _stamp_unknown_revision(engine)
    with pytest.raises(AuditStoreOpenError) as raised:
        SQLAuditStore.from_url(empty_url, schema=policy)  # type: ignore[arg-type]
    message = str(raised.value)
    assert "schema revision 9999 is unknown to this AegisSLO" in message and "newer version" in message
    assert "\n" not in message
    assert _version_rows(engine) == ["9999"], "refusing must not touch the version table"


@pytest.mark.postgres
def test_postgres_is_only_checked_unless_asked_to_upgrade(postgres_server: PostgresServer) -> None:
    url = postgres_server.url(create_database(postgres_server, f"mig_{uuid.uuid4().hex[:12]}"))
    with pytest.raises(AuditStoreOpenError, match=r"no AegisSLO schema yet: run `aegis db upgrade`"):
        SQLAuditStore.from_url(url)
    engine = database.create(database.parse_url(url))
    try:
        with engine.begin() as connection:
            command.upgrade(migrate.alembic_config(connection), "0001")
        with pytest.raises(AuditStoreOpenError, match=r"schema revision 0001, behind .*aegis db upgrade"):
            SQLAuditStore.from_url(url, schema="never")
        assert _version_rows(engine) == ["0001"]
    finally:
        engine.dispose()
    SQLAuditStore.from_url(url, schema="always").engine.dispose()
    SQLAuditStore.from_url(url).engine.dispose()  # at head now: the check passes


def test_sqlite_upgrades_itself_unless_told_never(tmp_path: Path) -> None:
    with pytest.raises(AuditStoreOpenError, match="no AegisSLO schema yet"):
        SQLAuditStore.from_sqlite_path(tmp_path / "never.db", schema="never")
    store = SQLAuditStore.from_sqlite_path(tmp_path / "auto.db")
    try:
        assert migrate.status(store.engine).up_to_date
    finally:
        store.engine.dispose()


def test_concurrent_upgrades_take_turns(empty_url: str) -> None:
    engines = [database.create(database.parse_url(empty_url)) for _ in range(4)]
    start = threading.Barrier(len(engines))
    results: list[migrate.UpgradeResult] = []
    errors: list[BaseException] = []

    def upgrade(engine: Engine) -> None:
        start.wait()
        try:
            results.append(migrate.upgrade(engine))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=upgrade, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        befores = sorted(result.before for result in results)
        assert befores == [(), *[(migrate.head(),)] * (len(engines) - 1)], "exactly one did the work"
        assert _version_rows(engines[0]) == [migrate.head()]
    finally:
        for engine in engines:
            engine.dispose()


async def test_revision_0005_seals_the_rows_written_before_it(empty_url: str, engine: Engine) -> None:
    """A database at 0003 with records (a v0.2 server's) upgraded: every record is chained, oldest
    first, and verifies; a rolling upgrade's late rows are sealed by the next upgrade."""
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "0003")
    old = [minimal_evaluation(f"v02-{i}", T0 + timedelta(minutes=i)) for i in range(3)]
    old.insert(0, full_evaluation(timestamp=T0 - timedelta(days=1)))
    columns_0003 = {column["name"] for column in sa.inspect(engine).get_columns("audit_evaluations")}
    with engine.begin() as connection:
        rows = [{k: v for k, v in evaluation_to_row(e).items() if k in columns_0003} for e in old]
        connection.execute(evaluations.insert(), rows)

    result = migrate.upgrade(engine)

    assert result.sealed == 4 and result.after == migrate.head()
    report = verify_chain(engine)
    assert report.intact and report.records_checked == 4, report.summary()
    store = SQLAuditStore.from_url(empty_url, schema="never")
    try:
        records = (await store.query(AuditQuery(limit=10))).records
        in_chain_order = sorted(records, key=lambda r: r.chain.sequence if r.chain else 0)
        assert [r.evaluation_id for r in in_chain_order] == ["ev-full", "v02-0", "v02-1", "v02-2"]
        # An older replica writes on during the rolling upgrade: outside the chain until sealed.
        with engine.begin() as connection:
            late = {
                k: v
                for k, v in evaluation_to_row(minimal_evaluation("late", T0)).items()
                if k in columns_0003
            }
            connection.execute(evaluations.insert(), [late])
        assert (await store.verify_chain()).unchained == 1
        await store.record(minimal_evaluation("new", T0 + timedelta(hours=1)))
        assert migrate.upgrade(engine).sealed == 1
        final = await store.verify_chain()
        assert final.intact and final.records_checked == 6, final.summary()
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE audit_evaluations SET decision = 'BLOCK' WHERE id = 'v02-1'"))
        broken = (await store.verify_chain()).first_broken
        assert broken is not None and broken.record_id == "v02-1"
    finally:
        await store.aclose()
