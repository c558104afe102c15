"""Audit records written in groups, each before the evaluation it records is published.

One transaction (one fsync) per record capped the audit at about 330 records/s while decisions
ran at 750/s, so records queued, then were dropped, and a ``kill -9`` lost ids already returned.
Now the scheduler awaits ``commit`` (its journal port) before anyone sees an evaluation, and
every record that arrives while a transaction runs goes into the next one: throughput grows
with load instead of collapsing, and an id that was returned is on disk.

While the store is healthy nothing is dropped: a full queue makes ``commit`` wait
(backpressure). When the store fails (full disk, read-only file, lost connection), decisions
must still be served: ``commit`` returns at once, the records stay queued and are retried with
backoff (the newest are dropped, counted, once the queue is full), and the outage is logged
once when it starts and once when it ends, counted, and shown by ``health`` (``/readyz``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from dataclasses import dataclass

from aegis._tasks import cancel_and_wait
from aegis.engine.model import Evaluation
from aegis.scheduler.timing import SystemTime, Timer
from aegis.store.base import AuditStore, RecordRejectedError
from aegis.telemetry import Telemetry


@dataclass(frozen=True)
class AuditHealth:
    writable: bool
    # Why the last write failed, one line; None while writable.
    problem: str | None = None
    # Seconds since the outage began; 0 while writable.
    down_for: float = 0.0
    queued: int = 0
    # Records lost during this outage.
    dropped: int = 0


@dataclass
class _Pending:
    evaluation: Evaluation
    # True once durable; False when the caller must stop waiting (store down, record dropped).
    done: asyncio.Future[bool]


class AuditWriter:
    """The scheduler's journal: group commit, backpressure, and one log line per outage."""

    def __init__(
        self,
        store: AuditStore,
        telemetry: Telemetry,
        *,
        capacity: int = 10_000,
        max_batch: int = 500,
        wait: float = 5.0,
        retry_initial: float = 0.05,
        retry_max: float = 2.0,
        timer: Timer | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._store = store
        self._telemetry = telemetry
        self._capacity = capacity
        self._max_batch = max_batch
        self._wait = wait
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._timer = timer or SystemTime()
        self._logger = logger or logging.getLogger(__name__)
        self._queue: collections.deque[_Pending] = collections.deque()
        self._in_flight: list[_Pending] = []
        self._work = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        # Outage state: None while writable.
        self._problem: str | None = None
        self._down_since = 0.0
        self._retry_delay = retry_initial
        self._dropped_in_outage = 0
        self._drop_logged = False
        telemetry.audit_store_up(True)

    # --- the journal port ------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name="audit-writer")

    async def commit(self, evaluation: Evaluation) -> None:
        """Return once ``evaluation`` is durable; at once while the store is down; within ``wait``.

        Never raises: the decision is served whatever happens to its record.
        """
        queued = False
        try:
            async with asyncio.timeout(self._wait):
                pending = await self._enqueue(evaluation)
                queued = True
                if pending is not None and await asyncio.shield(pending.done):
                    return
        except TimeoutError:
            if not queued:  # still waiting for room: the record is lost, say so
                self._drop(1, f"no room in the audit queue within {self._wait:g}s")
        # Published before its record was durable: the store is down or too slow.
        self._telemetry.audit_unconfirmed()

    def submit(self, evaluation: Evaluation) -> None:
        """Queue one record without waiting (for callers that publish nothing); never raises."""
        if len(self._queue) >= self._capacity:
            self._drop(1, self._problem or "the audit queue is full")
            return
        self._append(evaluation)

    @property
    def health(self) -> AuditHealth:
        if self._problem is None:
            return AuditHealth(True, queued=len(self._queue))
        return AuditHealth(
            False,
            self._problem,
            self._timer.monotonic() - self._down_since,
            len(self._queue),
            self._dropped_in_outage,
        )

    async def flush(self, within: float | None = None) -> bool:
        """Wait until everything queued so far is written; False if ``within`` seconds passed first."""
        try:
            async with asyncio.timeout(within):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def stop(self, grace: float = 10.0) -> None:
        """Write what is queued (within ``grace`` seconds), then stop. For the SIGTERM drain.

        During an outage the store gets one more try (the next retry), not the whole grace:
        a shutdown should not wait on a disk that has been full for minutes.
        """
        if self._task is None:
            return
        if self._problem is not None:
            grace = min(grace, self._retry_delay + 1.0)
        drained = await self.flush(grace)
        await cancel_and_wait(self._task)
        self._task = None
        if not drained:
            lost = self._unconfirmed()
            self._logger.error(
                "%d audit record(s) not confirmed written at shutdown: %s",
                len(lost),
                self._problem or "the store is too slow",
            )
            self._telemetry.audit_dropped(len(lost))
            _settle(lost, False)
            self._queue.clear()
            self._telemetry.audit_queue_depth(0)

    # --- queueing ---------------------------------------------------------------------------

    async def _enqueue(self, evaluation: Evaluation) -> _Pending | None:
        while self._problem is None and len(self._queue) >= self._capacity:
            self._space.clear()
            await self._space.wait()  # backpressure: the store is healthy, it will make room
        if self._problem is not None:
            if len(self._queue) >= self._capacity:
                self._drop(1, self._problem)
                return None
            self._append(evaluation)
            return None  # don't wait on a store that is down
        return self._append(evaluation)

    def _append(self, evaluation: Evaluation) -> _Pending:
        pending = _Pending(evaluation, asyncio.get_running_loop().create_future())
        self._queue.append(pending)
        self._idle.clear()
        self._work.set()
        self._telemetry.audit_queue_depth(len(self._queue))
        return pending

    def _take(self) -> list[_Pending]:
        batch = [self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))]
        self._telemetry.audit_queue_depth(len(self._queue))
        if len(self._queue) < self._capacity:
            self._space.set()  # the batch being written no longer counts against the queue
        return batch

    def _requeue(self, batch: list[_Pending]) -> None:
        self._queue.extendleft(reversed(batch))
        self._telemetry.audit_queue_depth(len(self._queue))

    def _drop(self, count: int, why: str) -> None:
        self._telemetry.audit_dropped(count)
        self._dropped_in_outage += count
        if self._problem is None and not self._drop_logged:
            # Not an outage (so no outage line covers it): say it, once until a commit succeeds.
            self._drop_logged = True
            self._logger.error("audit record(s) dropped: %s", why)

    def _unconfirmed(self) -> list[_Pending]:
        """Queued records, and those of a batch cut off mid-write that were not confirmed."""
        queued = {id(p) for p in self._queue}
        cut_off = [p for p in self._in_flight if id(p) not in queued and not _durable(p)]
        return [*self._queue, *cut_off]

    # --- writing ----------------------------------------------------------------------------

    async def _drain(self) -> None:
        while True:
            await self._work.wait()
            batch = self._take()
            if batch:
                await self._write(batch)
            if not self._queue:
                self._work.clear()
                self._idle.set()
            if len(self._queue) < self._capacity:
                self._space.set()

    async def _write(self, batch: list[_Pending]) -> None:
        self._in_flight = batch
        await self._write_batch(batch)
        # Not cleared when cancelled: stop() counts a batch cut off mid-write.
        self._in_flight = []

    async def _write_batch(self, batch: list[_Pending]) -> None:
        try:
            await self._store.record_many([p.evaluation for p in batch])
        except RecordRejectedError:
            await self._write_alone(batch)
        except Exception as err:
            await self._failed(batch, err)
        else:
            self._written(batch)

    async def _write_alone(self, batch: list[_Pending]) -> None:
        """One record of the batch is bad: write each alone so the good ones still land."""
        for index, pending in enumerate(batch):
            try:
                await self._store.record_many([pending.evaluation])
            except RecordRejectedError as err:
                self._telemetry.audit_write_failed()
                self._logger.error(
                    "audit record %s for %s refused by the store: %s",
                    pending.evaluation.evaluation_id,
                    pending.evaluation.slo_id,
                    err,
                )
                _settle([pending], False)
            except Exception as err:
                await self._failed(batch[index:], err)
                return
            else:
                self._written([pending])

    def _written(self, batch: list[_Pending]) -> None:
        self._telemetry.audit_committed(len(batch))
        if self._problem is not None:
            self._logger.warning(
                "audit store writable again after %.1fs; %d record(s) dropped during the outage",
                self._timer.monotonic() - self._down_since,
                self._dropped_in_outage,
            )
            self._problem = None
            self._retry_delay = self._retry_initial
            self._telemetry.audit_store_up(True)
        self._dropped_in_outage = 0
        self._drop_logged = False
        _settle(batch, True)

    async def _failed(self, batch: list[_Pending], err: Exception) -> None:
        self._telemetry.audit_commit_failed()
        if self._problem is None:
            self._problem = one_line(err)
            self._down_since = self._timer.monotonic()
            self._telemetry.audit_store_up(False)
            self._logger.error(
                "audit store unavailable: %s; decisions are still served, their records are kept "
                "in memory (up to %d) and retried",
                self._problem,
                self._capacity,
            )
        # Nobody waits on a store that is down; the records stay queued, oldest first.
        self._space.set()
        _settle(batch, False)
        for pending in list(self._queue):
            _settle([pending], False)
        self._requeue(batch)
        await self._timer.sleep(self._retry_delay)
        self._retry_delay = min(self._retry_delay * 2, self._retry_max)


def _durable(pending: _Pending) -> bool:
    return pending.done.done() and pending.done.result()


def _settle(batch: list[_Pending], durable: bool) -> None:
    for pending in batch:
        if not pending.done.done():
            pending.done.set_result(durable)


def one_line(err: BaseException) -> str:
    """The database's own words, first line only: "attempt to write a readonly database"."""
    cause = getattr(err, "orig", None) or err
    text = str(cause).strip().splitlines()
    first = text[0] if text else type(cause).__name__
    return first if len(first) <= 300 else first[:300] + "..."
