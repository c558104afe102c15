"""Commit before publish: nobody sees an evaluation before the journal has it."""

from __future__ import annotations

import asyncio

from aegis.engine.model import Evaluation
from aegis.metrics.synthetic import SyntheticAdapter
from aegis.scheduler import Evaluated, Evaluator, LatestInMemory, Scheduler, SLOCatalog
from aegis.spec.loader import load_directory
from aegis.telemetry import Telemetry
from tests.conftest import FIXTURES


class HeldJournal:
    """Keeps each commit waiting until the test releases it, and remembers the order of events."""

    def __init__(self, log: list[str]) -> None:
        self.release = asyncio.Event()
        self.log = log

    async def commit(self, evaluation: Evaluation) -> None:
        self.log.append(f"commit-start {evaluation.evaluation_id}")
        await self.release.wait()
        self.log.append(f"commit-done {evaluation.evaluation_id}")


class BrokenJournal:
    async def commit(self, evaluation: Evaluation) -> None:
        raise RuntimeError("journal bug")


class Listener:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def on_evaluation(self, event: Evaluated) -> None:
        self.log.append(f"heard {event.evaluation.evaluation_id}")


def _scheduler(journal: object, log: list[str]) -> tuple[Scheduler, LatestInMemory]:
    latest = LatestInMemory()
    evaluator = Evaluator(SyntheticAdapter.from_directory(FIXTURES / "metrics"), telemetry=Telemetry())
    scheduler = Scheduler(
        SLOCatalog(load_directory(FIXTURES / "slo" / "valid").slos),
        evaluator,
        latest=latest,
        listeners=[Listener(log)],
        journal=journal,  # type: ignore[arg-type]
    )
    return scheduler, latest


async def test_scheduler_publishes_only_after_the_journal_commits() -> None:
    log: list[str] = []
    journal = HeldJournal(log)
    scheduler, latest = _scheduler(journal, log)
    caller = asyncio.create_task(scheduler.evaluate_now("api-availability"))
    for _ in range(50):
        await asyncio.sleep(0)
    # Evaluated, but held: no listener, no latest, no answer to the caller.
    assert len(log) == 1 and log[0].startswith("commit-start")
    assert latest.state("api-availability").latest is None
    assert not caller.done()
    journal.release.set()
    evaluation = await caller
    assert log == [
        f"commit-start {evaluation.evaluation_id}",
        f"commit-done {evaluation.evaluation_id}",
        f"heard {evaluation.evaluation_id}",
    ]
    assert latest.state("api-availability").latest == evaluation


async def test_scheduler_serves_the_decision_when_the_journal_raises() -> None:
    log: list[str] = []
    scheduler, latest = _scheduler(BrokenJournal(), log)
    evaluation = await scheduler.evaluate_now("api-availability")
    assert log == [f"heard {evaluation.evaluation_id}"]
    assert latest.state("api-availability").latest == evaluation
