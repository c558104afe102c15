"""An Alertmanager alert per blocked SLO: firing while the gate says BLOCK, resolved when it opens.

Alertmanager forgets an alert that is not sent again before its ``endsAt``, so, as Prometheus
does, every firing alert is re-sent each ``resendInterval`` with ``endsAt`` four intervals
ahead; a resolved alert is sent once more with ``endsAt`` = now. The state (which SLOs are
blocked) is kept here rather than queued, so a long Alertmanager outage costs memory for one
alert per SLO, never a backlog, and the next successful send carries the whole truth. Every
URL of an HA pair gets every alert. A server that stops does not resolve anything: its alerts
expire unless it comes back and re-sends them (the blocked SLOs are restored from the audit).

    labels:      alertname=AegisSLOGateBlocked, slo, service, environment (+ configured labels)
    annotations: summary, description (the reasons), evaluation_id
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from aegis._tasks import cancel_and_wait
from aegis.engine.model import Evaluation
from aegis.notify import _retry
from aegis.notify.change import DecisionChange, rfc3339
from aegis.notify.config import AlertmanagerConfig
from aegis.notify.webhook import USER_AGENT
from aegis.scheduler.timing import Clock, SystemTime, Timer, utc_now
from aegis.spec.model import Decision
from aegis.telemetry import Telemetry

ALERT_NAME = "AegisSLOGateBlocked"
SINK = "alertmanager"
_LIFETIME_INTERVALS = 4


@dataclass(frozen=True)
class _Alert:
    slo_id: str
    service: str
    environment: str
    reasons: tuple[str, ...]
    evaluation_id: str
    starts_at: datetime
    ends_at: datetime | None = None  # set once resolved
    dry_run: bool = False


class AlertmanagerSink:
    name = SINK

    def __init__(
        self,
        config: AlertmanagerConfig,
        telemetry: Telemetry,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Clock = utc_now,
        timer: Timer | None = None,
        retry_initial: float = 1.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.config = config
        self._retry_initial = retry_initial
        self._telemetry = telemetry
        self._client = client or httpx.AsyncClient(headers={"User-Agent": USER_AGENT})
        self._owns_client = client is None
        self._clock = clock
        self._timer = timer or SystemTime()
        self._logger = logger or logging.getLogger(__name__)
        self._firing: dict[str, _Alert] = {}
        self._resolved: dict[str, _Alert] = {}
        self._dirty = asyncio.Event()
        self._failures = 0
        self._down: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def firing(self) -> tuple[str, ...]:
        return tuple(sorted(self._firing))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="alertmanager")

    def restore(self, evaluation: Evaluation) -> None:
        """The newest audited evaluation of an SLO, at start: a blocked SLO fires again."""
        if evaluation.decision is Decision.BLOCK:
            self._firing[evaluation.slo_id] = _alert(
                DecisionChange.of(evaluation, None), evaluation.timestamp
            )
            self._dirty.set()

    def take_over(self, previous: AlertmanagerSink) -> None:
        """Carry on the alerts of the sink this one replaces (a reload changed the settings)."""
        self._firing.update(previous._firing)
        if self._firing:
            self._dirty.set()

    def offer(self, change: DecisionChange) -> None:
        if change.decision is Decision.BLOCK:
            before = self._firing.get(change.slo_id)
            self._firing[change.slo_id] = _alert(change, before.starts_at if before else change.timestamp)
            self._resolved.pop(change.slo_id, None)
        elif change.slo_id in self._firing:
            self._resolve(change.slo_id)
        else:
            return
        self._dirty.set()

    def forget(self, slo_id: str) -> None:
        """A removed SLO blocks nothing any more."""
        if slo_id in self._firing:
            self._resolve(slo_id)
            self._dirty.set()

    def release(self, slo_id: str) -> None:
        """Another replica owns the SLO now and keeps its alert (it was seeded with the decision)."""
        self._firing.pop(slo_id, None)

    async def stop(self, grace: float = 5.0) -> None:
        """Send pending resolutions within ``grace``; firing alerts are left to expire."""
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None
            if self._resolved:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(grace):
                        await self._send()
        if self._owns_client:
            await self._client.aclose()

    def _resolve(self, slo_id: str) -> None:
        self._resolved[slo_id] = replace(self._firing.pop(slo_id), ends_at=self._clock())

    async def _run(self) -> None:
        while True:
            await self._wait(self._next_send())
            self._dirty.clear()
            try:
                await self._send()
            except Exception:
                self._logger.exception("sending alerts to Alertmanager failed unexpectedly")

    def _next_send(self) -> float | None:
        """Seconds until the next send without news; None: nothing to send until there is."""
        if self._failures:
            pause = _retry.pause(self._retry_initial, self._failures - 1)
            return min(pause, self.config.resend_interval) if self._firing or self._resolved else None
        return self.config.resend_interval if self._firing else None

    async def _wait(self, seconds: float | None) -> None:
        if seconds is None:
            await self._dirty.wait()
            return
        waiters = {
            asyncio.ensure_future(self._dirty.wait()),
            asyncio.ensure_future(self._timer.sleep(seconds)),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    async def _send(self) -> None:
        resolved = dict(self._resolved)
        body = self._body(resolved)
        if body == b"[]":
            return
        delivered = [await self._post(url, body) for url in self.config.urls]
        if any(delivered):
            self._failures = 0
            for slo_id, alert in resolved.items():
                if self._resolved.get(slo_id) == alert:
                    del self._resolved[slo_id]
        else:
            self._failures += 1

    def _body(self, resolved: dict[str, _Alert]) -> bytes:
        ends = self._clock() + timedelta(seconds=self.config.resend_interval * _LIFETIME_INTERVALS)
        alerts = [self._json(a, ends) for a in self._firing.values()]
        alerts += [self._json(a, a.ends_at or ends) for a in resolved.values()]
        return json.dumps(alerts, separators=(",", ":")).encode()

    def _json(self, alert: _Alert, ends_at: datetime) -> dict[str, Any]:
        labels = {
            **self.config.labels,
            "alertname": ALERT_NAME,
            "slo": alert.slo_id,
            "service": alert.service,
            "environment": alert.environment,
        }
        if alert.dry_run:
            # A dry-run SLO blocks nobody: route or silence these apart from real blocks.
            labels["dry_run"] = "true"
        return {
            "labels": labels,
            "annotations": {
                "summary": f"SLO {alert.slo_id} blocks deploys of {alert.service} in {alert.environment}",
                "description": "; ".join(alert.reasons),
                "evaluation_id": alert.evaluation_id,
            },
            "startsAt": rfc3339(alert.starts_at),
            "endsAt": rfc3339(ends_at),
        }

    async def _post(self, url: str, body: bytes) -> bool:
        try:
            response = await self._client.post(
                f"{url}/api/v2/alerts",
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=self.config.timeout,
            )
            outcome = _retry.judge(response)
        except httpx.HTTPError as err:
            outcome = _retry.failed(err, self.config.timeout)
        if outcome.ok:
            self._telemetry.notification_sent(SINK)
            if url in self._down:
                self._down.discard(url)
                self._logger.warning("Alertmanager %s accepts alerts again", url)
            return True
        self._telemetry.notification_failed(SINK)
        if url not in self._down:
            # Once per outage of this URL: the resend loop keeps trying quietly.
            self._down.add(url)
            self._logger.error("Alertmanager %s refused alerts: %s; retrying", url, outcome.detail)
        return False


def _alert(change: DecisionChange, starts_at: datetime) -> _Alert:
    return _Alert(
        slo_id=change.slo_id,
        service=change.service,
        environment=change.environment,
        reasons=change.reasons,
        evaluation_id=change.evaluation_id,
        starts_at=starts_at,
        dry_run=change.dry_run,
    )
