"""Replica tests: each gets its own database in the session's PostgreSQL, schema upgraded."""

from __future__ import annotations

import itertools

import pytest

from tests._postgres import PostgresServer, create_database
from tests.cluster._replicas import upgrade_schema

_numbers = itertools.count()


@pytest.fixture
def cluster_db(postgres_server: PostgresServer) -> str:
    url = postgres_server.url(create_database(postgres_server, f"replicas_{next(_numbers)}"))
    upgrade_schema(url)
    return url
