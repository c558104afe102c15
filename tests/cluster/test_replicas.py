"""Three real replicas on one real PostgreSQL: one evaluation per SLO per interval across them,
the same answer from each, a killed replica's SLOs taken over, and a database outage survived.

Counts come from the audit (read straight from the database), never from the replicas' word.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests._aegis_process import AegisProcess
from tests._postgres import (
    create_database,
    postgres_bin_dir_or_skip,
    running_postgres,
    start_server,
    stop_server,
)
from tests.cluster._replicas import (
    INTERVAL,
    LEASE,
    Record,
    audit,
    by_slo,
    decide,
    evaluated_by,
    evaluations_counted,
    gaps,
    libpq_url,
    replicas,
    upgrade_schema,
    wait_until,
    write_slos,
)

pytestmark = pytest.mark.postgres

NAMES = ["r1", "r2", "r3"]
SLO_COUNT = 9
# A gap this much shorter than the interval would be a second evaluation in one interval; this
# much longer, an interval without one. The margins are the loops' scheduling jitter.
TOO_SOON = 0.75 * INTERVAL
TOO_LATE = 1.34 * INTERVAL


def _slo_dir(tmp_path: Path) -> tuple[Path, list[str]]:
    directory = tmp_path / "slos"
    return directory, write_slos(directory, SLO_COUNT)


def _assert_never_twice_in_an_interval(records: list[Record]) -> None:
    for slo_id, history in by_slo(records).items():
        assert all(gap >= TOO_SOON for gap in gaps(history)), (slo_id, gaps(history))


def test_replicas_evaluate_each_slo_once_per_interval_and_answer_alike(
    tmp_path: Path, cluster_db: str
) -> None:
    slo_dir, ids = _slo_dir(tmp_path)
    # One SLO on a long interval: no scheduled run can land in the middle of the fresh test.
    (long_id,) = write_slos(slo_dir, 1, interval=3600, prefix="hourly")
    with replicas(cluster_db, slo_dir, NAMES) as servers:
        time.sleep(4 * INTERVAL)
        records = [r for r in audit(cluster_db) if r.slo_id != long_id]
        grouped = by_slo(records)
        assert set(grouped) == set(ids)
        for slo_id, history in grouped.items():
            # Exactly one per interval: none sooner (no double evaluation), none missed.
            assert all(TOO_SOON <= gap <= TOO_LATE for gap in gaps(history)), (slo_id, gaps(history))
            assert len(history) >= 4
        # The work is spread: every replica owns some SLOs.
        assert set(evaluated_by(cluster_db).values()) == set(NAMES)

        _assert_same_answer_everywhere(servers, ids, cluster_db)
        _assert_one_fresh_evaluation_for_concurrent_callers(servers, long_id, cluster_db)


def _assert_same_answer_everywhere(servers: dict[str, AegisProcess], ids: list[str], db_url: str) -> None:
    replicas_ = list(servers.values())
    for slo_id in ids:
        # A new evaluation may land between two questions; within a few tries all three agree.
        for _ in range(20):
            answers = [decide(server, slo_id) for server in replicas_]
            if len({a["evaluationID"] for a in answers}) == 1:
                break
            time.sleep(0.1)
        assert len({a["evaluationID"] for a in answers}) == 1, answers
        assert answers[0]["evaluationID"] in {r.id for r in audit(db_url) if r.slo_id == slo_id}
    # /v1/state and the audit read the same on every replica.
    for _ in range(20):
        states = [httpx.get(f"{s.rest_url}/v1/state/svc001/production", timeout=10).json() for s in replicas_]
        if all(state["evaluations"] == states[0]["evaluations"] for state in states):
            break
        time.sleep(0.1)
    assert all(state["evaluations"] == states[0]["evaluations"] for state in states), states
    assert all(state["decision"] == states[0]["decision"] for state in states)
    # Up to now less the longest an evaluation waits for its record: every such record is written.
    end = (datetime.now(UTC) - timedelta(seconds=6)).isoformat().replace("+00:00", "Z")
    query: dict[str, str | int] = {"limit": 1000, "endTime": end}
    pages = [httpx.get(f"{s.rest_url}/v1/audit", params=query, timeout=10).json() for s in replicas_]
    assert pages[0]["total"] > 0
    assert all(page == pages[0] for page in pages)


def _assert_one_fresh_evaluation_for_concurrent_callers(
    servers: dict[str, AegisProcess], slo_id: str, db_url: str
) -> None:
    replicas_ = list(servers.values())
    before = {r.id for r in audit(db_url) if r.slo_id == slo_id}
    callers = [server for server in replicas_ for _ in range(2)]
    # Hold the SLO's row for a moment so that all six requests are in before any can claim:
    # they are then concurrent by construction, not by luck.
    with psycopg.connect(libpq_url(db_url)) as connection:
        connection.execute("SELECT 1 FROM aegis_slo_latest WHERE slo_id = %s FOR UPDATE", (slo_id,))
        started = threading.Barrier(len(callers) + 1)

        def ask(server: AegisProcess) -> dict[str, Any]:
            started.wait()
            return decide(server, slo_id, fresh=True)

        with concurrent.futures.ThreadPoolExecutor(len(callers)) as pool:
            futures = [pool.submit(ask, server) for server in callers]
            started.wait()
            time.sleep(0.6)
            connection.commit()
            answers = [future.result() for future in futures]
    fresh_ids = {a["evaluationID"] for a in answers}
    assert len(fresh_ids) == 1, answers
    after = [r for r in audit(db_url) if r.slo_id == slo_id and r.id not in before]
    assert [r.id for r in after] == list(fresh_ids)


def test_replicas_take_over_the_slos_of_a_killed_replica_within_one_interval(
    tmp_path: Path, cluster_db: str
) -> None:
    slo_dir, ids = _slo_dir(tmp_path)
    with replicas(cluster_db, slo_dir, NAMES) as servers:
        time.sleep(2 * INTERVAL)
        victims = sorted(slo_id for slo_id, by in evaluated_by(cluster_db).items() if by == "r2")
        assert victims
        killed_at = datetime.now(UTC)
        servers["r2"].process.kill()  # SIGKILL: no goodbye, the lease has to run out
        servers["r2"].process.wait(timeout=10)

        def taken_over() -> bool:
            latest = evaluated_by(cluster_db)
            return all(latest[slo_id] != "r2" for slo_id in victims)

        wait_until(taken_over, 5 * INTERVAL, f"SLOs {victims} evaluated by another replica")
        time.sleep(INTERVAL)
        records = audit(cluster_db)
    takeover = {
        slo_id: min(
            (r.evaluated_at - killed_at).total_seconds() for r in history if r.evaluated_at > killed_at
        )
        for slo_id, history in by_slo(records).items()
        if slo_id in victims
    }
    print(f"takeover after kill -9 (lease {LEASE}s, interval {INTERVAL}s): {takeover}")
    # Each SLO of the killed replica was evaluated again within one interval of the kill ...
    assert max(takeover.values()) <= INTERVAL + 0.5, takeover
    # ... and nothing was evaluated twice, before, during or after the handoff.
    _assert_never_twice_in_an_interval(records)
    assert set(by_slo(records)) == set(ids)


def test_replicas_answer_warn_while_the_database_is_down_and_recover_after(tmp_path: Path) -> None:
    slo_dir, ids = _slo_dir(tmp_path)
    # Its own server: stopping the session's would break the other tests' databases.
    with running_postgres(postgres_bin_dir_or_skip()) as postgres:
        db_url = postgres.url(create_database(postgres, "outage"))
        upgrade_schema(db_url)
        with replicas(db_url, slo_dir, NAMES) as servers:
            time.sleep(2 * INTERVAL)
            stop_server(postgres)
            # The window starts once the database is really down: while pg_ctl is still stopping
            # it (as another user, seconds under load), claims can still succeed.
            stopped_at = datetime.now(UTC)
            time.sleep(LEASE + 1.0)
            for server in servers.values():
                for slo_id in ids:
                    for fresh in (False, True):
                        answer = decide(server, slo_id, fresh=fresh)
                        assert answer["decision"] == "WARN", answer
                        assert "cannot reach the shared database" in answer["reasons"][0], answer
                ready = httpx.get(f"{server.rest_url}/readyz", timeout=10)
                assert ready.status_code == 503
                assert "shared database" in ready.text
            time.sleep(INTERVAL)
            # ... and ends when the restart begins: it takes claims before start_server returns.
            restarting_at = datetime.now(UTC)
            start_server(postgres)
            restarted_at = datetime.now(UTC)

            def recovered() -> bool:
                return all(
                    "cannot reach" not in str(decide(server, slo_id)["reasons"])
                    for server in servers.values()
                    for slo_id in ids
                )

            wait_until(recovered, 10 * LEASE, "every replica answering from the database again")
            time.sleep(2 * INTERVAL)
            counted = 0

            def audit_has_every_evaluation() -> bool:
                nonlocal counted
                counted = sum(evaluations_counted(server) for server in servers.values())
                return len(audit(db_url)) == counted

            # Nothing lost and nothing extra: the audit holds exactly the evaluations the replicas made.
            wait_until(audit_has_every_evaluation, 15, "the audit count equal to the replicas' evaluations")
            records = audit(db_url)
            late = {
                slo_id: history[-1].evaluated_at
                for slo_id, history in by_slo(records).items()
                if history[-1].evaluated_at < restarted_at
            }
            if late:
                print(late, evaluated_by(db_url), restarted_at)
                for server in servers.values():
                    print(server.output[-4000:])
    assert len(records) == counted
    _assert_never_twice_in_an_interval(records)
    # Nobody evaluated while the database was down: no replica could claim a slot.
    during = [
        r
        for r in records
        if stopped_at.timestamp() + 0.5 < r.evaluated_at.timestamp() < restarting_at.timestamp()
    ]
    assert during == []
    # And each SLO is evaluated on schedule again.
    assert all(any(r.evaluated_at > restarted_at for r in history) for history in by_slo(records).values())
