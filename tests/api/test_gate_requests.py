"""GateRequestLog: one audit record per distinct gate request; identical repeats share it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from aegis.api.gate_requests import GateRequestLog
from aegis.engine.model import DeploymentContext, Evaluation
from tests.store._evaluations import minimal_evaluation

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class Recorded:
    """A journal that keeps what it is given (the port the scheduler's AuditWriter fills)."""

    def __init__(self) -> None:
        self.records: list[Evaluation] = []

    async def commit(self, evaluation: Evaluation) -> None:
        self.records.append(evaluation)


async def test_identical_repeats_are_recorded_once_and_anything_different_again() -> None:
    journal = Recorded()
    log = GateRequestLog(journal, clock=lambda: NOW, remember=3)
    first = minimal_evaluation("ev-1", NOW)
    ci = DeploymentContext(deployment_id="checkout-v42", commit="abc")

    await log.record(first, ci, "ci")
    await log.record(first, ci, "ci")  # a poll answered from the same evaluation
    assert len(journal.records) == 1
    record = journal.records[0]
    assert record.gate_request is not None
    assert (record.evaluation_id, record.record_id) == ("ev-1", record.gate_request.record_id)
    assert record.record_id.startswith("ev-1.gate-") and record.gate_request.requested_at == NOW
    assert (record.gate_request.deployment, record.gate_request.api_key_name) == (ci, "ci")

    await log.record(first, DeploymentContext(deployment_id="checkout-v43"), "ci")  # another deployment
    await log.record(first, ci, "admin")  # another key
    await log.record(dataclasses.replace(first, dry_run=True), ci, "ci")  # in dry run
    await log.record(minimal_evaluation("ev-2", NOW), ci, "ci")  # a new evaluation
    assert len(journal.records) == 5
    assert len({r.record_id for r in journal.records}) == 5

    # Only the last `remember` are remembered: the first request, long forgotten, is recorded again.
    await log.record(first, ci, "ci")
    assert len(journal.records) == 6
