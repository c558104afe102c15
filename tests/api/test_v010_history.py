"""A server started on v0.1.0's aegis.db serves v0.1.0's history in /v1/audit, beside its own."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import default_settings, start_live, stop_live
from tests.store._v010 import ROWS, create_v010_database


async def test_v010_history_shows_in_the_audit_api(tmp_path: Path) -> None:
    db = tmp_path / "aegis.db"
    create_v010_database(db)
    live = await start_live(default_settings(tmp_path, db=str(db)))
    try:
        await live.app.audit.flush()
        old = await live.rest.get("/v1/audit", params={"endTime": "2026-03-30T00:00:00Z", "limit": 100})
        search = await live.rest.get("/v1/audit", params={"sloID": "search-latency"})
        everything = await live.rest.get("/v1/audit", params={"limit": 1000})
    finally:
        await stop_live(live)

    assert old.status_code == 200, old.text
    records = old.json()["records"]
    newest_first = ["v0.1.0-4", "v0.1.0-5", "v0.1.0-3", "v0.1.0-2", "v0.1.0-1"]
    assert [r["evaluationID"] for r in records] == newest_first and len(records) == len(ROWS)
    (slow_burn,) = search.json()["records"]
    assert slow_burn["evaluationID"] == "v0.1.0-5"
    assert slow_burn["decision"] == "WARN" and slow_burn["service"] == "search"
    assert slow_burn["timestamp"] == "2026-03-29T03:30:00Z"  # written as 09:00:00+05:30
    assert slow_burn["ttl"] == 60
    assert slow_burn["sli"]["window"] == "30d" and slow_burn["sli"]["budgetRemaining"] == 0.9000000000000111
    assert slow_burn["burnRates"]["6h"] == {"burnRate": 16.666666666666703, "threshold": 6}
    assert slow_burn["reasons"] == ["rule slow-burn triggered: short=8.00x, long=16.67x (threshold=6.00x)"]
    # The server's own evaluations are there too, newer than v0.1.0's.
    ids = [r["evaluationID"] for r in everything.json()["records"]]
    assert ids[-len(ROWS) :] == [r["evaluationID"] for r in records] and len(ids) > len(ROWS)
