"""A replica refuses a shared database whose schema it does not know, in one line, and says why."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from aegis.store import migrate
from tests.cluster._replicas import libpq_url
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.postgres


def _start_replica(db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aegis.cli.server", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0",
         "--db-url", db_url, "--slo-dir", str(FIXTURES / "slo" / "valid"),
         "--synthetic-fixtures", str(FIXTURES / "metrics"), "--replica-id", "late"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip


def test_replica_refuses_a_schema_a_newer_version_wrote(cluster_db: str) -> None:
    # Another replica, newer, upgraded the shared database past what this one knows.
    with psycopg.connect(libpq_url(cluster_db)) as connection:
        connection.execute(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '9999'")
    refused = _start_replica(cluster_db)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert lines[0].startswith("aegis-server: error: audit database postgresql+psycopg://")
    assert "schema revision 9999 is unknown to this AegisSLO" in lines[0]
    assert "upgraded by a newer version" in lines[0]


def test_replica_refuses_a_schema_behind_and_says_how_to_upgrade(cluster_db: str) -> None:
    with psycopg.connect(libpq_url(cluster_db)) as connection:
        connection.execute(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '0003'")
    refused = _start_replica(cluster_db)
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert f"schema revision 0003, behind this AegisSLO's {migrate.head()}" in line
    assert "run `aegis db upgrade`" in line
