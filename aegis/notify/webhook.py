"""Decision changes POSTed as JSON to a receiver, in order, with retries and a signature.

Each webhook has its own bounded queue and worker, so a slow or dead receiver delays nobody:
not the scheduler (``offer`` never waits) and not the other receivers. When the queue is full
new changes are dropped and counted. Headers on every POST:

- ``Content-Type: application/json``
- ``X-Aegis-Event: decision_changed``
- ``X-Aegis-Delivery: <uuid>``: one per change, the same on every retry (deduplicate on it)
- ``X-Aegis-Signature-256: sha256=<hex>`` when a secret is configured (see ``signature``)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import httpx

from aegis._tasks import cancel_and_wait
from aegis.engine.model import Evaluation
from aegis.notify import _retry
from aegis.notify.change import EVENT, DecisionChange
from aegis.notify.config import WebhookConfig
from aegis.notify.signature import SIGNATURE_HEADER, sign
from aegis.scheduler.timing import SystemTime, Timer
from aegis.telemetry import Telemetry

USER_AGENT = "AegisSLO-notifier/1"


class WebhookSink:
    def __init__(
        self,
        config: WebhookConfig,
        telemetry: Telemetry,
        *,
        client: httpx.AsyncClient | None = None,
        timer: Timer | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self._telemetry = telemetry
        self._client = client or httpx.AsyncClient(headers={"User-Agent": USER_AGENT})
        self._owns_client = client is None
        self._timer = timer or SystemTime()
        self._logger = logger or logging.getLogger(__name__)
        self._queue: asyncio.Queue[DecisionChange] = asyncio.Queue(maxsize=config.queue_size)
        self._task: asyncio.Task[None] | None = None
        self._overflowing = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"webhook:{self.name}")

    def offer(self, change: DecisionChange) -> None:
        """Queue ``change``; never waits, never raises."""
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            self._telemetry.notification_dropped(self.name)
            if not self._overflowing:
                self._overflowing = True
                self._logger.error(
                    "webhook %s: %d changes waiting, dropping new ones until it catches up (first: %s)",
                    self.name,
                    self._queue.qsize(),
                    change.describe(),
                )

    def restore(self, evaluation: Evaluation) -> None:
        return None  # a webhook hears changes only; nothing to re-send

    def forget(self, slo_id: str) -> None:
        return None

    def release(self, slo_id: str) -> None:
        return None

    async def stop(self, grace: float = 5.0) -> None:
        """Deliver what is queued within ``grace`` seconds, then stop."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await self._queue.join()
            await cancel_and_wait(self._task)
            self._task = None
        if self._owns_client:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            change = await self._queue.get()
            try:
                await self.deliver(change)
            except Exception:
                self._logger.exception("webhook %s: delivery of %s failed", self.name, change.describe())
            finally:
                self._queue.task_done()
                if self._overflowing and self._queue.empty():
                    self._overflowing = False

    async def deliver(self, change: DecisionChange) -> bool:
        """POST ``change``, retrying as configured; True once the receiver took it."""
        body = change.to_json()
        headers = {
            "Content-Type": "application/json",
            "X-Aegis-Event": EVENT,
            "X-Aegis-Delivery": str(uuid.uuid4()),
        }
        if self.config.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.config.secret, body)
        attempts = self.config.retries + 1
        for attempt in range(attempts):
            outcome = await self._attempt(body, headers)
            if outcome.ok:
                self._telemetry.notification_sent(self.name)
                return True
            if not outcome.retryable or attempt + 1 == attempts:
                break
            await self._timer.sleep(_retry.pause(self.config.backoff, attempt, outcome.retry_after))
        self._telemetry.notification_failed(self.name)
        self._logger.error(
            "webhook %s: gave up on %s after %d attempt(s): %s",
            self.name,
            change.describe(),
            attempt + 1,
            outcome.detail,
        )
        return False

    async def _attempt(self, body: bytes, headers: dict[str, str]) -> _retry.Attempt:
        try:
            response = await self._client.post(
                self.config.url, content=body, headers=headers, timeout=self.config.timeout
            )
        except httpx.HTTPError as err:
            return _retry.failed(err, self.config.timeout)
        return _retry.judge(response)
