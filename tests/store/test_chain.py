"""The audit's hash chain on SQLite and a real PostgreSQL: it holds, and raw SQL that edits,
deletes or slips in a record is named by the verifier; retention and upgrades keep it whole."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import math
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from aegis.engine.model import DeploymentContext, Evaluation, GateRequest, SLIResult
from aegis.spec.durations import Window
from aegis.spec.model import Decision
from aegis.store import chain, migrate
from aegis.store._codec import evaluation_to_row
from aegis.store._schema import evaluations
from aegis.store.base import AuditQuery, RecordKind
from aegis.store.retention import AuditRetention
from aegis.store.sql import SQLAuditStore
from aegis.store.verify import check_known_head
from aegis.telemetry import Telemetry
from tests.store._evaluations import T0, full_evaluation, minimal_evaluation


def gate_request(evaluation: Evaluation, suffix: str = "1", **context: str) -> Evaluation:
    deployment = DeploymentContext(
        deployment_id=context.get("deployment_id", "checkout-v42"),
        commit=context.get("commit", "0123abc"),
        pipeline_url=context.get("pipeline_url", "https://ci.example/run/7"),
        caller=context.get("caller", "release-bot"),
    )
    request = GateRequest(
        f"{evaluation.evaluation_id}.gate-{suffix}", T0 + timedelta(seconds=3), deployment, "ci"
    )
    return dataclasses.replace(evaluation, gate_request=request)


def records() -> list[Evaluation]:
    """Every shape: full evidence, none, an SLI that is NaN (SQLite stores NULL), gate requests."""
    full = full_evaluation()
    nan = minimal_evaluation(
        "ev-nan", T0 + timedelta(seconds=1), sli=SLIResult(math.nan, math.nan, math.nan, Window.parse("30d"))
    )
    return [
        minimal_evaluation("ev-0", T0 - timedelta(minutes=5)),
        full,
        nan,
        gate_request(full),
        gate_request(nan, "2", caller="alice"),
    ]


async def seeded(store: SQLAuditStore) -> list[Evaluation]:
    batch = records()
    await store.record_many(batch[:2])
    await store.record_many(batch[2:])
    return batch


async def test_chain_links_every_record_and_verifies(store: SQLAuditStore) -> None:
    batch = await seeded(store)

    report = await store.verify_chain()

    assert report.intact and report.first_broken is None and report.unchained == 0, report.summary()
    assert report.records_checked == len(batch)
    assert report.anchor == (0, chain.GENESIS_HASH)
    page = await store.query(AuditQuery(limit=100))
    links = sorted((r.chain for r in page.records if r.chain is not None), key=lambda link: link.sequence)
    assert [link.sequence for link in links] == list(range(1, len(batch) + 1))
    assert links[0].previous_hash == chain.GENESIS_HASH
    assert all(later.previous_hash == earlier.record_hash for earlier, later in itertools.pairwise(links))
    assert report.head == (links[-1].sequence, links[-1].record_hash)
    assert report.summary().startswith(f"audit chain intact: {len(batch)} record(s) from sequence 1 to 5")


# Raw SQL edits of one column, each a field the hash covers: (column, new value; None: a time).
EDITS: dict[str, tuple[str, object]] = {
    "decision": ("decision", "ALLOW"),
    "dry_run": ("dry_run", False),
    "would_be_decision": ("would_be_decision", "WARN"),
    "budget_policy": (
        "budget_policy",
        '{"block_below":0.5,"warn_below":null,"budget_remaining":0.08,"action":"BLOCK"}',
    ),
    "reasons": ("reasons", '["all burn rate checks passed"]'),
    "evaluated_at": ("evaluated_at", None),
    "deployment_id": ("deployment_id", "someone-else"),
    "api_key_name": ("api_key_name", "admin"),
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
async def test_verify_names_a_record_edited_with_raw_sql(store: SQLAuditStore, edit: str) -> None:
    await seeded(store)
    column, value = EDITS[edit]
    target = "ev-full.gate-1"  # a gate request: every column is in use
    if value is None:  # a time: one microsecond later, spelled for the backend
        with store.engine.connect() as connection:
            moment = connection.execute(
                select(evaluations.c.evaluated_at).where(evaluations.c.id == target)
            ).scalar_one()
        with store.engine.begin() as connection:
            connection.execute(
                evaluations.update()
                .where(evaluations.c.id == target)
                .values(evaluated_at=moment + timedelta(microseconds=1))
            )
    else:
        with store.engine.begin() as connection:
            statement = text(f"UPDATE audit_evaluations SET {column} = :value WHERE id = :id")
            connection.execute(statement, {"value": value, "id": target})

    report = await store.verify_chain()

    assert not report.intact
    assert report.first_broken is not None
    assert (report.first_broken.record_id, report.first_broken.sequence) == (target, 4)
    assert "contents differ" in report.first_broken.problem
    assert report.records_checked == 3  # the three before it hold
    assert report.summary().startswith(f"audit chain broken at record {target} (sequence 4): ")


async def test_verify_names_where_a_deleted_record_was(store: SQLAuditStore) -> None:
    await seeded(store)
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_evaluations WHERE id = 'ev-nan'"))

    report = await store.verify_chain()

    assert report.first_broken is not None and report.first_broken.sequence == 3
    assert report.first_broken.record_id == ""
    assert "jumps from sequence 2 to 4" in report.first_broken.problem


async def test_verify_names_a_record_rewritten_with_its_own_hash_recomputed(store: SQLAuditStore) -> None:
    """Editing a record and fixing its hash still breaks the next record's link."""
    await seeded(store)
    with store.engine.connect() as connection:
        row = connection.execute(select(evaluations).where(evaluations.c.id == "ev-full")).one()._mapping
    forged = evaluation_to_row(dataclasses.replace(full_evaluation(), decision=Decision.ALLOW))
    forged_hash = chain.record_hash(row["chain_prev_hash"], row["chain_seq"], forged)
    with store.engine.begin() as connection:
        connection.execute(
            evaluations.update()
            .where(evaluations.c.id == "ev-full")
            .values(decision="ALLOW", chain_hash=forged_hash)
        )

    report = await store.verify_chain()

    assert report.first_broken is not None
    assert (report.first_broken.record_id, report.first_broken.sequence) == ("ev-nan", 3)
    assert "link to the previous record" in report.first_broken.problem


async def test_verify_counts_a_record_slipped_in_behind_the_chain(store: SQLAuditStore) -> None:
    await seeded(store)
    with store.engine.begin() as connection:
        connection.execute(evaluations.insert(), [evaluation_to_row(minimal_evaluation("ev-forged", T0))])

    report = await store.verify_chain()

    assert report.first_broken is None and report.records_checked == 5
    assert (report.intact, report.unchained, report.unchained_example) == (False, 1, "ev-forged")
    assert "1 record(s) are outside it (e.g. ev-forged)" in report.summary()


async def test_retention_prunes_a_prefix_and_the_rest_still_verifies(store: SQLAuditStore) -> None:
    now = T0 + timedelta(days=100)
    old = [minimal_evaluation(f"old-{i:03d}", T0 + timedelta(seconds=i)) for i in range(25)]
    new = [minimal_evaluation(f"new-{i:03d}", now - timedelta(minutes=1)) for i in range(5)]
    await store.record_many(old)
    await store.record_many(new)
    retention = AuditRetention(store, timedelta(days=90), Telemetry(), batch=10, pause=0, clock=lambda: now)

    assert await retention.prune() == 25

    report = await store.verify_chain()
    assert report.intact, report.summary()
    assert report.records_checked == 5 and report.anchor[0] == 25 and report.head[0] == 30
    # Still tamper-evident after the prune: the first record left is checked against the anchor.
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_evaluations SET decision = 'BLOCK' WHERE id = 'new-000'"))
    broken = (await store.verify_chain()).first_broken
    assert broken is not None and (broken.record_id, broken.sequence) == ("new-000", 26)
    # Everything pruned: the next record links to the anchor.
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_evaluations SET decision = 'ALLOW' WHERE id = 'new-000'"))
    later = AuditRetention(
        store, timedelta(days=1), Telemetry(), batch=10, pause=0, clock=lambda: now + timedelta(days=2)
    )
    assert await later.prune() == 5
    await store.record(minimal_evaluation("after", now + timedelta(days=2)))
    report = await store.verify_chain()
    assert report.intact and report.anchor[0] == 30 and report.head[0] == 31, report.summary()


async def test_retention_stops_at_a_record_younger_than_the_cutoff(store: SQLAuditStore) -> None:
    """The chain's order is commit order: a young record commits before old ones (an import)."""
    now = T0 + timedelta(days=100)
    await store.record(minimal_evaluation("young", now))
    await store.record_many([minimal_evaluation(f"old-{i}", T0) for i in range(3)])
    retention = AuditRetention(store, timedelta(days=90), Telemetry(), batch=10, pause=0, clock=lambda: now)

    assert await retention.prune() == 0
    assert (await store.verify_chain()).intact


async def test_stores_appending_at_once_keep_one_chain(store_url: str, store: SQLAuditStore) -> None:
    """Two stores on one database (two replicas): batches interleave, the chain stays whole."""
    other = SQLAuditStore.from_url(store_url)
    try:

        async def write(target: SQLAuditStore, name: str) -> None:
            for batch in range(10):
                await target.record_many(
                    [minimal_evaluation(f"{name}-{batch}-{i}", T0 + timedelta(seconds=i)) for i in range(5)]
                )

        await asyncio.gather(write(store, "a"), write(other, "b"), write(store, "c"), write(other, "d"))
    finally:
        await other.aclose()

    report = await store.verify_chain()
    assert report.intact and report.records_checked == 200 and report.head[0] == 200, report.summary()


async def test_upgrade_seals_records_from_before_the_chain(store: SQLAuditStore) -> None:
    """Rows of an older version (no chain columns) are chained by the next upgrade, oldest first."""
    await store.record(minimal_evaluation("chained", T0))
    older = [minimal_evaluation(f"pre-0005-{i}", T0 - timedelta(days=3 - i)) for i in range(3)]
    with store.engine.begin() as connection:
        connection.execute(evaluations.insert(), [evaluation_to_row(e) for e in older])
    assert (await store.verify_chain()).unchained == 3

    result = migrate.upgrade(store.engine)

    assert result.sealed == 3
    report = await store.verify_chain()
    assert report.intact and report.records_checked == 4, report.summary()
    sealed = await store.query(AuditQuery(limit=10, kind=RecordKind.EVALUATION))
    order = sorted((r for r in sealed.records if r.chain), key=lambda r: r.chain.sequence if r.chain else 0)
    assert [r.evaluation_id for r in order] == ["chained", "pre-0005-0", "pre-0005-1", "pre-0005-2"]
    assert migrate.upgrade(store.engine).sealed == 0


async def test_audit_filters_gate_requests_by_deployment_context(store: SQLAuditStore) -> None:
    batch = await seeded(store)

    async def ids(**filters: object) -> list[str]:
        page = await store.query(AuditQuery(limit=100, **filters))  # type: ignore[arg-type]
        return sorted(r.record_id for r in page.records)

    assert await ids(kind=RecordKind.GATE_REQUEST) == ["ev-full.gate-1", "ev-nan.gate-2"]
    assert await ids(kind=RecordKind.EVALUATION) == sorted(
        e.evaluation_id for e in batch if e.gate_request is None
    )
    assert len(await ids()) == len(batch)
    assert await ids(caller="alice") == ["ev-nan.gate-2"]
    assert await ids(deployment_id="checkout-v42") == ["ev-full.gate-1", "ev-nan.gate-2"]
    assert await ids(commit="0123abc", api_key_name="ci", pipeline_url="https://ci.example/run/7") == [
        "ev-full.gate-1",
        "ev-nan.gate-2",
    ]
    assert await ids(deployment_id="nope") == []
    page = await store.query(AuditQuery(limit=100, caller="alice"))
    assert page.total == 1
    record = page.records[0]
    assert repr(record) == repr(batch[4])  # read back whole (repr: NaN != NaN), the request beside it
    assert record.evaluation_id == "ev-nan" and record.gate_request is not None
    assert record.gate_request.deployment.caller == "alice"


async def test_a_head_noted_before_retention_still_checks_after_it(store: SQLAuditStore) -> None:
    now = T0 + timedelta(days=100)
    await store.record_many(
        [minimal_evaluation(f"old-{i:03d}", T0 + timedelta(seconds=i)) for i in range(25)]
    )
    noted = (await store.verify_chain()).head
    await store.record(minimal_evaluation("new", now))
    assert check_known_head(store.engine, *noted) is None
    retention = AuditRetention(store, timedelta(days=90), Telemetry(), batch=10, pause=0, clock=lambda: now)
    assert await retention.prune() == 25

    assert check_known_head(store.engine, *noted) is None  # it is the anchor now
    assert check_known_head(store.engine, 3, "0" * 64) is None  # pruned since: nothing left to compare
    assert "anchor at sequence 25 does not have the hash" in (
        check_known_head(store.engine, 25, "f" * 64) or ""
    )
    assert "cut from the end" in (check_known_head(store.engine, 27, "f" * 64) or "")
