"""Store fixtures: every behavioural test runs on SQLite and on a real PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aegis.store import database, migrate
from aegis.store._schema import chain_anchor, evaluations
from aegis.store.sql import SQLAuditStore
from tests._postgres import PostgresServer, create_database


@pytest.fixture(scope="session")
def postgres_store_url(postgres_server: PostgresServer) -> str:
    """A database at the schema head: on PostgreSQL that is an explicit step, as in production."""
    url = postgres_server.url(create_database(postgres_server, "aegis_store_tests"))
    engine = database.create(database.parse_url(url))
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    url: str = request.getfixturevalue("postgres_store_url")
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SQLAuditStore]:
    opened = SQLAuditStore.from_url(store_url)
    # The PostgreSQL database is shared by the session: start each test empty.
    with opened.engine.begin() as connection:
        connection.execute(evaluations.delete())
        connection.execute(chain_anchor.update().values(chain_seq=0, chain_hash="0" * 64, pruned_records=0))
    try:
        yield opened
    finally:
        await opened.aclose()
