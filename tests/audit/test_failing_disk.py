"""A live server whose audit disk fills up or turns read-only: it keeps deciding, and says so.

/readyz turns 503 with the reason, a metric counts, the log says it once (one line, no
traceback), and once the disk is usable again every record kept in memory is written.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.audit._disk import fill, immutable, tiny_filesystem
from tests.conftest import LiveServer, default_settings, start_live, stop_live

SLOS = ("api-availability", "checkout-fast-burn", "search-slow-burn")
_Setup = Generator[tuple[Path, Callable[[], AbstractContextManager[None]]], None, None]


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


async def _decide(live: LiveServer, count: int) -> list[tuple[str, str]]:
    """``count`` fresh decisions; (evaluation id, decision) of each."""
    answers = []
    for i in range(count):
        response = await live.rest.post(
            "/v1/gate/decision", json={"sloID": SLOS[i % len(SLOS)], "forceFresh": True}
        )
        assert response.status_code == 200, response.text
        answers.append((response.json()["evaluationID"], response.json()["decision"]))
    return answers


async def _audited(live: LiveServer) -> set[str]:
    ids: set[str] = set()
    for slo_id in SLOS:
        records = (await live.rest.get("/v1/audit", params={"sloID": slo_id, "limit": 1000})).json()
        ids |= {r["evaluationID"] for r in records["records"]}
    return ids


async def _until(check: Callable[[], object], what: str) -> None:
    for _ in range(500):
        if await check():  # type: ignore[misc]
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def _full_disk(tmp: Path) -> _Setup:
    with tiny_filesystem(tmp / "disk") as disk:

        class Full:
            def __enter__(self) -> None:
                self.filler = fill(disk)

            def __exit__(self, *exc: object) -> None:
                os.unlink(self.filler)

        yield disk, Full


def _read_only(tmp: Path) -> _Setup:
    disk = tmp / "disk"
    disk.mkdir()
    db = disk / "audit.db"
    yield disk, lambda: immutable(db, Path(f"{db}-wal"))


@pytest.mark.parametrize(
    ("failure", "problem"),
    [(_full_disk, "database or disk is full"), (_read_only, "disk I/O error|readonly")],
    ids=["full", "read_only"],
)
async def test_audit_outage_keeps_deciding_and_says_so_once(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    failure: Callable[[Path], _Setup],
    problem: str,
) -> None:
    setup = failure(tmp_path)
    disk, broken = next(setup)
    live = await start_live(default_settings(tmp_path, db=str(disk / "audit.db")))
    try:
        healthy = await _decide(live, 3)
        with caplog.at_level(logging.WARNING, logger="aegis"), broken():
            during = await _decide(live, 30)
            ready = await live.rest.get("/readyz")
            metrics = (await live.rest.get("/metrics")).text
            outage_lines = [r for r in caplog.records if r.name.startswith("aegis")]
        # The real decisions (the same as before the failure), not a WARN made up for a bad disk.
        assert [d for _, d in during] == [healthy[i % len(SLOS)][1] for i in range(len(during))]
        assert {d for _, d in healthy} == {"ALLOW", "BLOCK"}
        assert ready.status_code == 503
        reason = ready.json()["reasons"][0]
        assert reason.startswith("audit store unavailable")
        assert any(p in reason for p in problem.split("|")), reason
        assert "decisions are still served" in reason
        assert _metric(metrics, "aegis_audit_store_up") == 0
        assert _metric(metrics, "aegis_audit_commit_failures_total") >= 1
        assert [r.levelname for r in outage_lines] == ["ERROR"], [r.getMessage() for r in outage_lines]
        assert outage_lines[0].exc_info is None and "\n" not in outage_lines[0].getMessage()

        async def recovered() -> bool:
            return (await live.rest.get("/readyz")).status_code == 200

        await _until(recovered, "/readyz back to 200 once the disk is usable")
        assert {i for i, _ in healthy + during} <= await _audited(live)
        metrics = (await live.rest.get("/metrics")).text
        assert _metric(metrics, "aegis_audit_store_up") == 1
        assert _metric(metrics, "aegis_audit_dropped_total") == 0
    finally:
        await stop_live(live)
        setup.close()
