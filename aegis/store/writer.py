"""Audit writes off the decision path.

A decision must never wait on, or fail because of, the audit store. Records go
into a bounded queue drained by one task; a failing write is logged and counted,
a full queue drops the record (counted) rather than block an evaluation.
``flush()`` lets tests and shutdown wait until everything queued is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from aegis.engine.model import Evaluation
from aegis.store.base import AuditStore
from aegis.telemetry import Telemetry

if TYPE_CHECKING:
    from aegis.scheduler.listeners import Evaluated


class AuditWriter:
    def __init__(
        self,
        store: AuditStore,
        telemetry: Telemetry,
        *,
        capacity: int = 10_000,
        logger: logging.Logger | None = None,
    ) -> None:
        self._store = store
        self._telemetry = telemetry
        self._queue: asyncio.Queue[Evaluation] = asyncio.Queue(maxsize=capacity)
        self._logger = logger or logging.getLogger(__name__)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name="audit-writer")

    def on_evaluation(self, event: Evaluated) -> None:
        """As an evaluation listener: every evaluation is one audit record."""
        self.submit(event.evaluation)

    def submit(self, evaluation: Evaluation) -> None:
        """Queue one record; never blocks and never raises."""
        try:
            self._queue.put_nowait(evaluation)
        except asyncio.QueueFull:
            self._telemetry.audit_dropped()
            self._logger.error(
                "audit queue full: record %s for %s dropped", evaluation.evaluation_id, evaluation.slo_id
            )

    async def flush(self) -> None:
        """Wait until every record queued so far has been written or has failed."""
        await self._queue.join()

    async def stop(self) -> None:
        """Write what is queued, then stop the drain task."""
        if self._task is None:
            return
        await self.flush()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _drain(self) -> None:
        while True:
            evaluation = await self._queue.get()
            try:
                await self._store.record(evaluation)
            except Exception:
                self._telemetry.audit_write_failed()
                self._logger.exception(
                    "audit write failed for %s (%s); the decision was still served",
                    evaluation.slo_id,
                    evaluation.evaluation_id,
                )
            finally:
                self._queue.task_done()
