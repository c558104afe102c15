"""What only the SQLite backend has: pragmas, file paths, crash durability."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from aegis.store._schema import evaluations
from aegis.store._sqlite import BUSY_TIMEOUT_MS
from aegis.store.base import AuditQuery
from aegis.store.sql import AuditStoreOpenError, SQLAuditStore
from tests.store._evaluations import T0, full_evaluation, minimal_evaluation

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_sqlite_store_sets_wal_full_sync_and_busy_timeout(tmp_path: Path) -> None:
    store = SQLAuditStore.from_sqlite_path(tmp_path / "audit.db")
    try:
        with store.engine.connect() as connection:
            journal_mode = connection.execute(text("PRAGMA journal_mode")).scalar_one()
            synchronous = connection.execute(text("PRAGMA synchronous")).scalar_one()
            busy_timeout = connection.execute(text("PRAGMA busy_timeout")).scalar_one()
    finally:
        await store.aclose()
    assert (journal_mode, synchronous, busy_timeout) == ("wal", 2, BUSY_TIMEOUT_MS)  # 2 is FULL
    # WAL is a property of the file: any other reader sees it too.
    with sqlite3.connect(tmp_path / "audit.db") as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_sqlite_store_open_takes_a_bare_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = SQLAuditStore.open("aegis.db")
    await store.record(full_evaluation())
    await store.aclose()
    reopened = SQLAuditStore.open(f"sqlite:///{tmp_path / 'aegis.db'}")
    try:
        page = await reopened.query(AuditQuery())
    finally:
        await reopened.aclose()
    assert (tmp_path / "aegis.db").is_file()
    assert page.records == (full_evaluation(),)


def _not_a_database(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a SQLite database, just some text that is long enough\n" * 20)
    return path


@pytest.mark.parametrize(
    ("make_path", "expected"),
    [
        (lambda tmp: tmp / "missing-dir" / "aegis.db", "does the directory exist"),
        (lambda tmp: tmp, "unable to open"),
        (_not_a_database, "not a database"),
    ],
    ids=["missing_directory", "a_directory", "not_a_database"],
)
def test_sqlite_store_reports_a_file_it_cannot_open(
    tmp_path: Path, make_path: Callable[[Path], Path], expected: str
) -> None:
    path = make_path(tmp_path)
    with pytest.raises(AuditStoreOpenError) as raised:
        SQLAuditStore.from_sqlite_path(path)
    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "not a database URL"),
        ("nosuchdialect://somewhere/db", "nosuchdialect"),
    ],
    ids=["not_a_url", "unknown_dialect"],
)
def test_store_from_url_reports_an_unusable_url(url: str, expected: str) -> None:
    with pytest.raises(AuditStoreOpenError, match=expected):
        SQLAuditStore.from_url(url)


def test_store_from_url_hides_the_password_and_means_psycopg() -> None:
    # Port 1 on loopback refuses at once; the message must still be useful and safe.
    with pytest.raises(AuditStoreOpenError) as raised:
        SQLAuditStore.from_url("postgresql://aegis:s3cret@127.0.0.1:1/audit")
    message = str(raised.value)
    assert "postgresql+psycopg://aegis:***@127.0.0.1:1/audit" in message
    assert "s3cret" not in message


async def test_sqlite_memory_store_is_one_database_across_threads() -> None:
    store = SQLAuditStore.from_url("sqlite://")
    try:
        batch = [minimal_evaluation(f"ev{i:02d}", T0 + timedelta(seconds=i)) for i in range(20)]
        await asyncio.gather(*(store.record(evaluation) for evaluation in batch))
        pages = await asyncio.gather(*(store.query(AuditQuery(limit=100)) for _ in range(4)))
    finally:
        await store.aclose()
    assert all(len(page.records) == 20 for page in pages)


def test_sqlite_store_keeps_every_returned_record_after_kill_9(tmp_path: Path) -> None:
    db_path = tmp_path / "audit.db"
    count = 100_000  # far more than it can write before the kill
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store._durability_writer", str(db_path), str(count)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    promised = [child.stdout.readline().strip() for _ in range(150)]
    child.send_signal(signal.SIGKILL)
    rest, errors = child.communicate(timeout=30)
    # Only whole lines are promises; a torn last line is not.
    promised += [line for line in rest.split("\n")[:-1] if line]

    assert child.returncode == -signal.SIGKILL, errors
    assert "" not in promised and len(promised) < count

    reopened = SQLAuditStore.from_sqlite_path(db_path)
    try:
        with reopened.engine.connect() as connection:
            stored = set(connection.execute(select(evaluations.c.id)).scalars())
            integrity = connection.execute(text("PRAGMA integrity_check")).scalar_one()
    finally:
        asyncio.run(reopened.aclose())
    assert integrity == "ok"
    assert set(promised) <= stored
