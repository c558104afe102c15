"""Opening an audit database: what ``--db``/``--db-url`` accept, the engine, the schema at open.

Shared by the store and by ``aegis db``, so both read the same URLs, set the same
SQLite pragmas and word failures the same way: one line naming the database, its
password hidden, with the database's own reason.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from aegis.store import _sqlite, migrate

URL_EXAMPLES = "sqlite:///aegis.db or postgresql+psycopg://user:password@host:5432/dbname"


class AuditStoreOpenError(RuntimeError):
    """The audit database could not be opened, or its schema is not one this code serves."""


def parse_url(url: str) -> URL:
    """A SQLAlchemy URL; ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise AuditStoreOpenError(f"not a database URL; expected e.g. {URL_EXAMPLES}") from err
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def target_url(db: str) -> URL:
    """What ``--db`` accepts: a database URL, or else a SQLite file path (``aegis.db``)."""
    return parse_url(db) if "://" in db else URL.create("sqlite", database=db)


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def is_sqlite_file(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and not _sqlite.is_memory_url(url)


def create(url: URL) -> Engine:
    """An engine for ``url`` (no connection yet); AuditStoreOpenError for a driver we lack."""
    try:
        return _create_engine(url)
    except (ArgumentError, ImportError) as err:
        raise AuditStoreOpenError(f"cannot use audit database {shown(url)}: {err}") from err


@dataclass(frozen=True)
class OpenedDatabase:
    engine: Engine
    # What opening did to the schema; None when it was only checked.
    upgrade: migrate.UpgradeResult | None


def open_engine(url: URL, schema: migrate.SchemaPolicy = "auto") -> OpenedDatabase:
    """Connect and bring the schema where ``schema`` says (see ``migrate.prepare``).

    Logs nothing: a caller that may still fail on other settings reports the upgrade itself.
    """
    engine = create(url)
    try:
        upgrade = migrate.prepare(engine, schema)
    except SQLAlchemyError as err:
        engine.dispose()
        raise AuditStoreOpenError(failure_message(url, err)) from err
    except migrate.SchemaError as err:
        engine.dispose()
        raise AuditStoreOpenError(f"audit database {shown(url)}: {err}") from err
    return OpenedDatabase(engine, upgrade)


def describe_upgrade(result: migrate.UpgradeResult) -> str:
    """One line: 'schema upgraded from 0001 to 0002 (head); 7 v0.1.0 records imported'."""
    before = ", ".join(result.before) or "none"
    if result.before == (result.after,):
        parts = [f"schema already at {result.after} (head)"]
    elif result.stamped:
        parts = [f"audit table from before migrations stamped at {migrate.PRE_MIGRATION_REVISION}"]
        if result.after != migrate.PRE_MIGRATION_REVISION:
            parts.append(f"schema upgraded to {result.after} (head)")
    else:
        parts = [f"schema upgraded from {before} to {result.after} (head)"]
    if result.v010.imported:
        parts.append(f"{result.v010.imported} v0.1.0 record(s) imported (table evaluations left unchanged)")
    elif result.v010.found:
        parts.append("no new v0.1.0 records to import")
    if result.sealed:
        parts.append(f"{result.sealed} record(s) from before the hash chain sealed into it")
    if result.v010.skipped:
        ids = ", ".join(str(i) for i in result.v010.skipped[:10])
        more = "" if len(result.v010.skipped) <= 10 else ", ..."
        parts.append(f"{len(result.v010.skipped)} unreadable v0.1.0 row(s) not imported (ids {ids}{more})")
    return "; ".join(parts)


def failure_message(url: URL, err: SQLAlchemyError) -> str:
    # psycopg's reasons span lines; the operator gets one.
    lines = str(getattr(err, "orig", None) or err).splitlines()
    reason = "; ".join(line.strip() for line in lines if line.strip())
    message = f"cannot open audit database {shown(url)}: {reason}"
    if url.get_backend_name() == "sqlite" and "unable to open" in reason:
        message += " (does the directory exist, and is it writable?)"
    return message


def is_shared_connection(engine: Engine) -> bool:
    """An in-memory SQLite database: one connection every caller shares."""
    return isinstance(engine.pool, StaticPool)


# A database that stops answering (a partition, not a refusal) must be noticed in seconds, not
# after the kernel's two-hour keepalive: replicas hand SLOs over on that (docs/replicas.md).
# Anything the URL's query sets wins.
_POSTGRES_CONNECT: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
}


def _create_engine(url: URL) -> Engine:
    # allow_nan=False: the codec never emits NaN/Infinity, and PostgreSQL would refuse them.
    json_options: dict[str, Any] = {
        "json_serializer": functools.partial(json.dumps, allow_nan=False, separators=(",", ":")),
    }
    if url.get_backend_name() == "postgresql":
        connect = {key: value for key, value in _POSTGRES_CONNECT.items() if key not in url.query}
        return create_engine(url, pool_pre_ping=True, connect_args=connect, **json_options)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **json_options)
    if _sqlite.is_memory_url(url):
        # Each pooled connection would get its own empty database; share one.
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}, **json_options
        )
    else:
        engine = create_engine(url, **json_options)
    _sqlite.apply_pragmas(engine)
    return engine
