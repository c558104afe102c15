"""The audit database's schema version: where it is, bringing it to head, and the policy at open.

Revisions live in ``aegis/store/migrations/versions``; alembic is configured here,
in code, so users never see an ``alembic.ini``. An upgrade is one transaction:
``BEGIN IMMEDIATE`` on SQLite (the file's write lock), a transaction-scoped
advisory lock on PostgreSQL, so replicas or processes upgrading at once queue
and the later ones find the work done. Inside it, in order: a database created
before migrations existed is stamped at 0001, alembic upgrades to head, then
v0.1.0's history is imported (only rows not imported before).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from aegis.store import _sqlite
from aegis.store._schema import metadata
from aegis.store.chain import seal_unchained
from aegis.store.legacy_import import ImportResult, has_v010_history, import_history

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Not alembic's default name: a shared database may hold another application's alembic_version.
VERSION_TABLE = "aegis_alembic_version"
# The revision a database made before migrations (create_all) is identical to.
PRE_MIGRATION_REVISION = "0001"
# pg_advisory_xact_lock key: the bytes of "aegisslo". Other advisory locks of this
# project must use another key (or the two-int form).
POSTGRES_LOCK_KEY = int.from_bytes(b"aegisslo", "big")
LOCK_WAIT_SECONDS = 120

# auto: SQLite upgrades itself at open, any other database is only checked.
SchemaPolicy = Literal["auto", "always", "never"]
SCHEMA_POLICIES: tuple[SchemaPolicy, ...] = ("auto", "always", "never")
UPGRADE_HINT = "run `aegis db upgrade` with the same --db/--db-url, or start with --db-upgrade always"


class SchemaError(RuntimeError):
    """The schema is not one this code can serve; the message is one line."""


@dataclass(frozen=True)
class SchemaStatus:
    current: tuple[str, ...]  # () when the database has no version table (or an empty one)
    head: str
    unknown: tuple[str, ...]  # current revisions this code has no script for
    pre_migration: bool  # audit_evaluations exists but was never versioned
    v010_history: bool  # v0.1.0's evaluations table is there

    @property
    def up_to_date(self) -> bool:
        return self.current == (self.head,)

    @property
    def ahead(self) -> bool:
        return bool(self.unknown)

    def describe(self) -> str:
        """One line: where the schema is, relative to this code's head."""
        if self.ahead:
            return (
                f"schema revision {_join(self.unknown)} is unknown to this AegisSLO (its newest is "
                f"{self.head}): the database was upgraded by a newer version"
            )
        if self.up_to_date:
            return f"schema revision {self.head} (head)"
        if self.current:
            return f"schema revision {_join(self.current)}, behind this AegisSLO's {self.head}"
        if self.pre_migration:
            return f"audit table from before versioned migrations (same as revision {PRE_MIGRATION_REVISION})"
        if self.v010_history:
            return "AegisSLO v0.1.0 database (its history is imported on upgrade)"
        return "no AegisSLO schema yet"


@dataclass(frozen=True)
class UpgradeResult:
    before: tuple[str, ...]
    after: str
    stamped: bool  # a pre-migration database was recognised and stamped
    v010: ImportResult
    # Records that had no place in the hash chain and were given one (aegis.store.chain).
    sealed: int = 0

    @property
    def changed(self) -> bool:
        changed = self.before != (self.after,) or self.v010.imported > 0 or bool(self.v010.skipped)
        return changed or self.sealed > 0


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without a file; env.py runs on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "rev_%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


@functools.cache
def script_directory() -> ScriptDirectory:
    """The shipped revisions (read once per process: they do not change while it runs)."""
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    revision = script_directory().get_current_head()
    if revision is None:
        raise SchemaError(f"no migration revisions found in {MIGRATIONS_DIR}")
    return revision


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Only AegisSLO's tables: never propose to drop v0.1.0's or another application's."""
    if type_ == "table":
        return name in metadata.tables
    table = getattr(obj, "table", None)
    return table is None or getattr(table, "name", None) in metadata.tables


def status(engine: Engine) -> SchemaStatus:
    with engine.connect() as connection:
        return _status(connection)


def upgrade(engine: Engine, logger: logging.Logger | None = None) -> UpgradeResult:
    """Bring the schema to head and import v0.1.0 history; SchemaError if it is ahead."""
    with _migration_transaction(engine) as connection:
        before = _status(connection)
        if before.ahead:
            raise SchemaError(before.describe())
        if before.pre_migration:
            _check_pre_migration_table(connection)
            _context(connection).stamp(script_directory(), PRE_MIGRATION_REVISION)
        if not before.up_to_date:
            command.upgrade(alembic_config(connection), "head")
        # A data step, not a revision: it must also pick up rows a rolled-back v0.1.0 wrote later.
        v010 = import_history(connection, logger)
        # Also a data step: rows from before revision 0005, the import's, an older replica's.
        sealed = seal_unchained(connection)
        return UpgradeResult(
            before=before.current, after=head(), stamped=before.pre_migration, v010=v010, sealed=sealed
        )


def prepare(
    engine: Engine, policy: SchemaPolicy, logger: logging.Logger | None = None
) -> UpgradeResult | None:
    """What opening a store does: upgrade (auto on SQLite, always) or check (never, auto elsewhere)."""
    if policy == "always" or (policy == "auto" and engine.dialect.name == "sqlite"):
        return upgrade(engine, logger)
    found = status(engine)
    if not found.up_to_date:
        hint = "" if found.ahead else f": {UPGRADE_HINT}"
        raise SchemaError(f"{found.describe()}{hint}")
    return None


def _status(connection: Connection) -> SchemaStatus:
    current = _context(connection).get_current_heads()
    script = script_directory()
    return SchemaStatus(
        current=tuple(current),
        head=head(),
        unknown=tuple(revision for revision in current if not _known(script, revision)),
        pre_migration=not current and sa.inspect(connection).has_table("audit_evaluations"),
        v010_history=has_v010_history(connection),
    )


def _context(connection: Connection) -> MigrationContext:
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


# audit_evaluations as revision 0001 made it (and as servers before migrations did): fixed,
# unlike _schema's table, which grows with every later revision.
_REVISION_0001_COLUMNS = (
    "id", "slo_id", "service", "environment", "decision", "evaluated_at", "ttl_seconds",
    "sli_value", "sli_error_rate", "sli_budget_remaining", "sli_window_seconds", "is_stale",
    "has_no_traffic", "has_missing_data", "has_too_few_data_points", "has_clamped_data",
    "reasons", "burn_rates", "rules", "data_timestamp",
)  # fmt: skip


def _check_pre_migration_table(connection: Connection) -> None:
    """Stamp only a table this project made: all of revision 0001's columns are there."""
    found = {column["name"] for column in sa.inspect(connection).get_columns("audit_evaluations")}
    expected = set(_REVISION_0001_COLUMNS)
    if missing := sorted(expected - found):
        raise SchemaError(
            f"table audit_evaluations exists without a schema version and lacks columns "
            f"{', '.join(missing)}: not an AegisSLO audit table, left untouched"
        )


@contextlib.contextmanager
def _migration_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that holds the database's migration lock until it commits."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            with _sqlite_write_transaction(connection):
                yield connection
            return
        with connection.begin():
            if engine.dialect.name == "postgresql":
                # lock_timeout also bounds the wait for the advisory lock and for table locks.
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'")
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(POSTGRES_LOCK_KEY)))
            yield connection


@contextlib.contextmanager
def _sqlite_write_transaction(connection: Connection) -> Iterator[None]:
    # pysqlite opens no transaction before DDL by itself; BEGIN IMMEDIATE takes the
    # write lock now, so DDL and data change together and another writer waits.
    connection.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_WAIT_SECONDS * 1000}")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={_sqlite.BUSY_TIMEOUT_MS}")


def _join(revisions: tuple[str, ...]) -> str:
    return ", ".join(revisions)
