"""``--audit-retention 90d``: records older than that are deleted, a little at a time.

One big ``DELETE`` of months of rows would hold the write lock for seconds to minutes, and
every audit commit (so every published decision) would wait behind it. So each pass deletes
the oldest ``batch`` rows per transaction, pauses between transactions so group commits slip
in, and stops when nothing older than the cut-off is left. Passes run every ``interval`` on
their own task; time is injected so tests skip it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from aegis._tasks import cancel_and_wait
from aegis.scheduler.timing import Clock, SystemTime, Timer, utc_now
from aegis.store.base import AuditStore
from aegis.store.writer import one_line
from aegis.telemetry import Telemetry


class AuditRetention:
    def __init__(
        self,
        store: AuditStore,
        keep: timedelta,
        telemetry: Telemetry,
        *,
        batch: int = 500,
        pause: float = 0.05,
        interval: float = 600.0,
        clock: Clock = utc_now,
        timer: Timer | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if keep <= timedelta(0):
            raise ValueError(f"retention must be positive, got {keep}")
        self.keep = keep
        self._store = store
        self._telemetry = telemetry
        self._batch = batch
        self._pause = pause
        self._interval = interval
        self._clock = clock
        self._timer = timer or SystemTime()
        self._logger = logger or logging.getLogger(__name__)
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        # Passes finished (or failed) so far: lets tests and operators see the loop turn.
        self.passes = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="audit-retention")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None

    async def prune(self) -> int:
        """One pass: delete everything older than the cut-off, ``batch`` rows per transaction."""
        cutoff = self._clock() - self.keep
        total = 0
        while True:
            deleted = await self._store.prune(cutoff, self._batch)
            total += deleted
            self._telemetry.audit_pruned(deleted)
            if deleted < self._batch:
                return total
            await self._timer.sleep(self._pause)

    async def _run(self) -> None:
        while True:
            try:
                deleted = await self.prune()
            except Exception as err:
                self._telemetry.audit_prune_failed()
                if not self._failing:  # once per outage; the next pass tries again
                    self._failing = True
                    self._logger.error(
                        "audit retention failed: %s; retrying every %gs", one_line(err), self._interval
                    )
            else:
                if self._failing:
                    self._failing = False
                    self._logger.warning("audit retention works again")
                if deleted:
                    self._logger.info(
                        "audit retention deleted %d record(s) older than %s", deleted, self.keep
                    )
            self.passes += 1
            await self._timer.sleep(self._interval)
