"""Every evaluation id the server returned is in the audit, whatever happens next.

Before group commit and commit-before-publish, 106 of 200 ids returned just before a
``kill -9`` were missing after the restart, and a forceFresh flood dropped 7,919 of 20,508
evaluations. These run the real server process, a real SQLite file and real HTTP.
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from aegis.store.sql import SQLAuditStore
from tests.audit._server_process import server_process
from tests.audit.conftest import stored_gate_requests, stored_ids

SLOS = (
    "api-availability",
    "api-warn-only",
    "batch-zero-traffic",
    "billing-stale",
    "checkout-fast-burn",
    "legacy-ratio",
    "search-slow-burn",
    "web-latency",
)


async def _flood(
    client: httpx.AsyncClient, total: int, concurrency: int, ids: list[str], enough: Enough | None = None
) -> int:
    """``total`` forceFresh decisions, ``concurrency`` at a time; each returned id lands in ``ids``.

    Returns how many requests got no answer at all (a connection reset on an overloaded
    machine): those returned no id, so they promise nothing.
    """
    queue = iter(range(total))
    unanswered = 0

    async def worker() -> None:
        nonlocal unanswered
        for i in queue:
            body = {"sloID": SLOS[i % len(SLOS)], "forceFresh": True}
            try:
                response = await client.post("/v1/gate/decision", json=body)
            except httpx.TransportError:
                unanswered += 1
                continue
            assert response.status_code == 200, response.text
            ids.append(response.json()["evaluationID"])
            if enough is not None and len(ids) >= enough.count:
                enough.reached.set()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return unanswered


@dataclass
class Enough:
    count: int
    reached: asyncio.Event = field(default_factory=asyncio.Event)


def _metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


async def test_kill_9_right_after_ids_were_returned_loses_none(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    returned: list[str] = []
    async with server_process(db) as server:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:
            enough = Enough(200)
            flood = asyncio.create_task(_flood(client, 5000, 32, returned, enough))
            await enough.reached.wait()
            # Killed mid-flood: requests in flight, others answered a moment ago.
            os.kill(server.process.pid, signal.SIGKILL)
            seen = list(returned)
            flood.cancel()
            await asyncio.gather(flood, return_exceptions=True)
        assert await server.process.wait() == -signal.SIGKILL
    assert len(seen) >= 200
    # Opening the file is what the restarted server does first (SQLite replays its WAL).
    store = SQLAuditStore.from_sqlite_path(db)
    await store.aclose()
    missing = set(seen) - stored_ids(db)
    assert not missing, f"{len(missing)} of {len(set(seen))} returned ids are not in the audit"


async def test_forcefresh_flood_loses_no_evaluation(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    returned: list[str] = []
    async with server_process(db) as server:
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
            unanswered = await _flood(client, 400, 48, returned)
            metrics = (await client.get("/metrics")).text
    # Every returned id is stored, and so is every evaluation made (shared ones included).
    assert unanswered <= 20 and len(returned) == 400 - unanswered
    stored = stored_ids(db)
    assert set(returned) <= stored
    assert len(stored) == _metric(metrics, "aegis_evaluations_total")
    # And the gate requests, beside the evaluations that answered them (identical requests that
    # shared one evaluation share one record: aegis.api.gate_requests).
    requests = stored_gate_requests(db)
    assert set(returned) <= set(requests) <= stored
    assert _metric(metrics, "aegis_audit_dropped_total") == 0
    assert _metric(metrics, "aegis_audit_unconfirmed_total") == 0
    records = len(stored) + len(requests)
    assert _metric(metrics, "aegis_audit_commits_total") < records, "records are committed in groups"
