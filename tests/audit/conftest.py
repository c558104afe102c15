"""Audit fixtures: a real SQLite file per test, evaluations with fresh ids."""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from aegis.engine.model import Evaluation
from aegis.store.sql import SQLAuditStore
from tests.store._evaluations import T0, full_evaluation

_ids = itertools.count()


def evaluation(**changes: object) -> Evaluation:
    """A fully populated evaluation with a unique id and a later timestamp than the previous one."""
    n = next(_ids)
    values: dict[str, object] = {"evaluation_id": f"ev-{n:08d}", "timestamp": T0 + timedelta(seconds=n)}
    values.update(changes)
    return full_evaluation(**values)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLAuditStore]:
    store = SQLAuditStore.from_sqlite_path(tmp_path / "audit.db")
    yield store
    await store.aclose()


def stored_ids(path: Path) -> set[str]:
    """Every evaluation id in a SQLite audit file, read by a fresh connection (gate requests aside)."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        query = "SELECT id FROM audit_evaluations WHERE evaluation_ref IS NULL"
        return {row[0] for row in connection.execute(query)}


def stored_gate_requests(path: Path) -> list[str]:
    """The evaluation id behind each gate-request record (revision 0005) in a SQLite audit file."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        query = "SELECT evaluation_ref FROM audit_evaluations WHERE evaluation_ref IS NOT NULL"
        return [row[0] for row in connection.execute(query)]
