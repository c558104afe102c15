"""Alembic's environment: run the revisions on the connection ``aegis.store.migrate`` hands over.

The caller owns the connection and its transaction (and, on PostgreSQL, the
advisory lock), so every revision of one upgrade commits or rolls back together.
Only AegisSLO's own tables are ever compared or touched: a database may also
hold v0.1.0's tables (kept for a rollback) or another application's.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from aegis.store._schema import UTCDateTime, metadata
from aegis.store.migrate import VERSION_TABLE, include_object


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy ones: a revision must not import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=include_object,
        compare_type=True,
        render_item=_render_item,
        # SQLite can roll DDL back too: one upgrade is one transaction on both backends.
        transactional_ddl=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection: Any = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "aegis migrations run through `aegis db upgrade` (or aegis.store.migrate), "
        "which passes an open connection; there is no alembic.ini to read a URL from"
    )
_run(connection)
