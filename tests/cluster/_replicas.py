"""Several real ``aegis-server`` replicas on one real PostgreSQL, and what the audit says of them.

SLOs read synthetic fixtures (``fixture: NAME`` queries) on a short interval; each replica gets
an explicit ``--replica-id`` so a test can tell which one evaluated what.
"""

from __future__ import annotations

import contextlib
import itertools
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml

from tests._aegis_process import AegisProcess, aegis_server
from tests.conftest import FIXTURES, ROOT

INTERVAL = 3.0  # seconds between evaluations of each SLO
LEASE = 1.5  # a replica's lease: takeover within it plus one renewal (a third of it)
FIXTURE_CYCLE = ("healthy", "fast-burn", "slow-burn")


def write_slos(directory: Path, count: int, interval: float = INTERVAL, prefix: str = "svc") -> list[str]:
    """``count`` SLOs over the synthetic fixtures (ALLOW, BLOCK and WARN among them); their ids."""
    directory.mkdir(parents=True, exist_ok=True)
    ids = []
    for n in range(count):
        slo_id = f"{prefix}{n:03d}-availability"
        fixture = FIXTURE_CYCLE[n % len(FIXTURE_CYCLE)]
        document = {
            "apiVersion": "aegis.slo/v1",
            "kind": "SLO",
            "metadata": {"id": slo_id, "service": f"{prefix}{n:03d}", "owner": "team"},
            "spec": {
                "environment": "production",
                "objective": 0.995,
                "complianceWindow": "30d",
                "evaluationInterval": f"{interval:g}s",
                "sli": {
                    "type": "availability",
                    "good": {"prometheusQuery": f"fixture: {fixture}"},
                    "total": {"prometheusQuery": f"fixture: {fixture}"},
                },
                "burnPolicy": {
                    "rules": [
                        {"name": "fast-burn", "shortWindow": "5m", "longWindow": "1h", "threshold": 14.0},
                        {"name": "slow-burn", "shortWindow": "1h", "longWindow": "6h", "threshold": 7.0},
                    ]
                },
                "gating": {"minDataPoints": 1, "stalenessLimit": "10m"},
            },
        }
        (directory / f"{slo_id}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        ids.append(slo_id)
    return ids


def upgrade_schema(db_url: str) -> None:
    """What an operator runs once before starting replicas: ``aegis db upgrade``."""
    subprocess.run(
        [sys.executable, "-m", "aegis.cli.main", "db", "upgrade", "--db-url", db_url],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )


def replica_args(db_url: str, slo_dir: Path, replica_id: str, lease: float = LEASE) -> list[str]:
    return [
        "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--db-url", db_url,
        "--slo-dir", str(slo_dir), "--synthetic-fixtures", str(FIXTURES / "metrics"),
        "--replica-id", replica_id, "--replica-lease", f"{lease:g}", "--slo-reload-interval", "0",
    ]  # fmt: skip


@contextlib.contextmanager
def replicas(db_url: str, slo_dir: Path, names: list[str]) -> Iterator[dict[str, AegisProcess]]:
    """Every replica started and ready (all SLOs evaluated, as each sees the shared state)."""
    with contextlib.ExitStack() as stack:
        started = {
            name: stack.enter_context(aegis_server(replica_args(db_url, slo_dir, name), wait_ready=False))
            for name in names
        }
        for server in started.values():
            wait_until(lambda s=server: _ready(s), 30, f"replica on {server.rest_url} ready")
        yield started


def _ready(server: AegisProcess) -> bool:
    with contextlib.suppress(httpx.TransportError):
        return httpx.get(f"{server.rest_url}/readyz", timeout=5).status_code == 200
    return False


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {what}")


def decide(server: AegisProcess, slo_id: str, *, fresh: bool = False) -> dict[str, Any]:
    body = {"sloID": slo_id, "forceFresh": fresh}
    response = httpx.post(f"{server.rest_url}/v1/gate/decision", json=body, timeout=30)
    assert response.status_code == 200, response.text
    evaluation: dict[str, Any] = response.json()  # response_body: the evaluation itself
    return evaluation


@dataclass(frozen=True)
class Record:
    id: str
    slo_id: str
    decision: str
    evaluated_at: datetime


def audit(db_url: str) -> list[Record]:
    """Every evaluation in the audit, oldest first, read straight from the database (the records of
    gate requests, which point at an evaluation through ``evaluation_ref``, are not evaluations)."""
    with psycopg.connect(libpq_url(db_url)) as connection:
        rows = connection.execute(
            "SELECT id, slo_id, decision, evaluated_at FROM audit_evaluations "
            "WHERE evaluation_ref IS NULL ORDER BY evaluated_at"
        ).fetchall()
    return [Record(*row) for row in rows]


def evaluated_by(db_url: str) -> dict[str, str]:
    """Which replica made each SLO's latest evaluation."""
    with psycopg.connect(libpq_url(db_url)) as connection:
        rows = connection.execute("SELECT slo_id, evaluated_by FROM aegis_slo_latest").fetchall()
    return {slo_id: by for slo_id, by in rows if by is not None}


def by_slo(records: list[Record]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = {}
    for record in records:
        grouped.setdefault(record.slo_id, []).append(record)
    return grouped


def gaps(records: list[Record]) -> list[float]:
    """Seconds between consecutive evaluations of one SLO."""
    return [(b.evaluated_at - a.evaluated_at).total_seconds() for a, b in itertools.pairwise(records)]


def evaluations_counted(server: AegisProcess) -> int:
    """The replica's own count of the evaluations it made (``aegis_evaluations_total``)."""
    text = httpx.get(f"{server.rest_url}/metrics", timeout=10).text
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("aegis_evaluations_total{")
        )
    )


def libpq_url(db_url: str) -> str:
    return db_url.replace("postgresql+psycopg://", "postgresql://")
