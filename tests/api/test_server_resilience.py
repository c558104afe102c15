"""The server keeps serving when its inputs or its audit store go wrong."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from tests.conftest import FIXTURES, default_settings, start_live, stop_live


async def test_server_loads_good_slo_files_and_reports_bad_ones(tmp_path: Path) -> None:
    slo_dir = tmp_path / "slos"
    slo_dir.mkdir()
    shutil.copy(FIXTURES / "slo" / "valid" / "api-availability.yaml", slo_dir)
    shutil.copy(FIXTURES / "slo" / "invalid" / "unknown-field.yaml", slo_dir)
    (slo_dir / "broken.yaml").write_text("spec: [unclosed\n")
    live = await start_live(default_settings(tmp_path, slo_dir=str(slo_dir)))
    try:
        ready = await live.rest.get("/readyz")
        slos = (await live.rest.get("/v1/slo")).json()["slos"]
        decision = await live.rest.post("/v1/gate/decision", json={"sloID": "api-availability"})
    finally:
        await stop_live(live)
    assert ready.status_code == 200
    reasons = ready.json()["reasons"]
    assert any("unknown-field.yaml" in r and "treshold" in r for r in reasons), reasons
    assert any("broken.yaml" in r and "invalid YAML" in r for r in reasons), reasons
    assert [slo["id"] for slo in slos] == ["api-availability"]
    assert decision.json()["decision"] == "ALLOW"


async def test_server_with_no_valid_slo_is_not_ready_and_says_why(tmp_path: Path) -> None:
    slo_dir = tmp_path / "slos"
    slo_dir.mkdir()
    shutil.copy(FIXTURES / "slo" / "invalid" / "wrong-kind.yaml", slo_dir)
    from aegis.api.server import Server
    from aegis.app import Application

    server = Server(Application(default_settings(tmp_path, slo_dir=str(slo_dir))))
    await server.start()
    try:
        import httpx

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.http_port}") as rest:
            ready = await rest.get("/readyz")
            live = await rest.get("/healthz")
    finally:
        await server.stop(grace=0.1)
    assert live.status_code == 200
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False
    assert body["reasons"][0].startswith("no SLO loaded from")
    assert any("wrong-kind.yaml" in r for r in body["reasons"])


async def test_failing_audit_writes_never_change_or_block_decisions(tmp_path: Path) -> None:
    live = await start_live(default_settings(tmp_path))
    try:
        before = (await live.rest.post("/v1/gate/decision", json={"sloID": "checkout-fast-burn"})).json()
        # Break the real database under the running server: every later write fails.
        with sqlite3.connect(tmp_path / "audit.db") as db:
            db.execute("DROP TABLE audit_evaluations")
        after = await live.rest.post(
            "/v1/gate/decision", json={"sloID": "checkout-fast-burn", "forceFresh": True}
        )
        # Commit before publish: the failed commit is known by the time the decision is back.
        metrics = (await live.rest.get("/metrics")).text
        audit = await live.rest.get("/v1/audit")
    finally:
        await stop_live(live)
    assert after.status_code == 200
    assert after.json()["decision"] == before["decision"] == "BLOCK"
    assert after.json()["evaluationID"] != before["evaluationID"]
    failures = [line for line in metrics.splitlines() if line.startswith("aegis_audit_commit_failures_total")]
    assert failures and float(failures[0].split()[-1]) >= 1
    assert "aegis_audit_store_up 0.0" in metrics
    assert audit.status_code == 503, "a broken store is UNAVAILABLE, not a crash"
    assert audit.json()["code"] == 14


async def test_server_lists_skipped_fixture_files_and_keeps_serving(tmp_path: Path) -> None:
    fixtures = tmp_path / "metrics"
    shutil.copytree(FIXTURES / "metrics", fixtures)
    (fixtures / "from-the-future.json").write_text(
        '{"windows": {"5m": {"good": 1, "total": 1, "dataTimestamp": "2999-01-01T00:00:00Z"}}}'
    )
    (fixtures / "huge.json").write_text('{"windows": {"5m": {"good": ' + "9" * 5000 + ', "total": 1}}}')
    live = await start_live(default_settings(tmp_path, synthetic_fixtures=str(fixtures)))
    try:
        ready = await live.rest.get("/readyz")
        decision = await live.rest.post("/v1/gate/decision", json={"sloID": "api-availability"})
    finally:
        await stop_live(live)
    assert ready.status_code == 200
    problems = [r for r in ready.json()["reasons"] if r.startswith("synthetic fixture problem: ")]
    assert len(problems) == 2, problems
    assert any("from-the-future.json" in p and "is in the future" in p for p in problems)
    assert any("huge.json" in p and "5000 characters" in p for p in problems)
    assert decision.json()["decision"] == "ALLOW"
