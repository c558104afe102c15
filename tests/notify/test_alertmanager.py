"""Alerts into a real Alertmanager: firing on BLOCK, re-sent while blocked, resolved when the gate opens."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from aegis.notify.alertmanager import ALERT_NAME, AlertmanagerSink
from aegis.notify.config import AlertmanagerConfig
from aegis.spec.model import Decision
from aegis.telemetry import Telemetry
from tests.notify._alertmanager import alerts, running_alertmanager
from tests.notify._receiver import Receiver, running_receiver
from tests.notify.test_webhook import change
from tests.store._evaluations import full_evaluation


@pytest.fixture(scope="module")
def alertmanager() -> Iterator[str]:
    with running_alertmanager() as url:
        yield url


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(400):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def _alerts(receiver: Receiver) -> list[dict[str, Any]]:
    return [alert for request in receiver.accepted() for alert in request.json()]


def _sink_metric(telemetry: Telemetry, name: str) -> float:
    return telemetry.registry.get_sample_value(name, {"sink": "alertmanager"}) or 0.0


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_alertmanager_alert_fires_on_block_and_resolves_when_the_gate_opens(alertmanager: str) -> None:
    telemetry = Telemetry()
    sink = AlertmanagerSink(
        AlertmanagerConfig(urls=(alertmanager,), resend_interval=60, labels={"team": "payments"}), telemetry
    )
    sink.start()
    blocked = change(slo_id="am-fires-and-resolves")
    async with httpx.AsyncClient() as client:
        try:
            sink.offer(blocked)

            async def firing() -> bool:
                return len(await alerts(client, alertmanager, blocked.slo_id)) == 1

            await until(firing, "the alert arrives")
            [alert] = await alerts(client, alertmanager, blocked.slo_id)
            assert alert["labels"] == {
                "alertname": ALERT_NAME,
                "slo": blocked.slo_id,
                "service": "checkout",
                "environment": "production",
                "team": "payments",
            }
            assert alert["annotations"]["description"] == blocked.reasons[0]
            assert alert["annotations"]["evaluation_id"] == blocked.evaluation_id
            assert alert["status"]["state"] == "active"
            # Alive for four resend intervals unless re-sent.
            assert _parse(alert["endsAt"]) > datetime.now(UTC)

            sink.offer(dataclasses.replace(blocked, previous=Decision.BLOCK, decision=Decision.ALLOW))

            async def resolved() -> bool:
                return await alerts(client, alertmanager, blocked.slo_id) == []

            await until(resolved, "the alert resolves")
        finally:
            await sink.stop()
    assert _sink_metric(telemetry, "aegis_notifications_sent_total") >= 2


async def test_alertmanager_restored_block_fires_again_without_a_change(alertmanager: str) -> None:
    sink = AlertmanagerSink(AlertmanagerConfig(urls=(alertmanager,)), Telemetry())
    sink.restore(full_evaluation(slo_id="am-restored", decision=Decision.BLOCK))
    sink.restore(full_evaluation(slo_id="am-restored-allow", decision=Decision.ALLOW))
    sink.start()
    async with httpx.AsyncClient() as client:
        try:

            async def firing() -> bool:
                return len(await alerts(client, alertmanager, "am-restored")) == 1

            await until(firing, "the restored alert arrives")
            assert await alerts(client, alertmanager, "am-restored-allow") == []
        finally:
            await sink.stop()


async def test_alertmanager_firing_alerts_are_re_sent_and_resolved_with_ends_at_now() -> None:
    async with running_receiver() as receiver:
        sink = AlertmanagerSink(AlertmanagerConfig(urls=(receiver.url,), resend_interval=0.05), Telemetry())
        sink.start()
        blocked = change(slo_id="am-resend")
        sink.offer(blocked)
        sends = await receiver.wait_for(3)
        before_resolve = datetime.now(UTC)
        sink.offer(dataclasses.replace(blocked, previous=Decision.BLOCK, decision=Decision.ALLOW))
        async with asyncio.timeout(20):
            while not any(_parse(a["endsAt"]) <= datetime.now(UTC) for a in _alerts(receiver)):
                receiver.arrived.clear()
                await receiver.arrived.wait()
        await sink.stop()
    assert all(r.path == "/api/v2/alerts" for r in receiver.received)
    firing = [r.json() for r in sends]
    assert all(len(body) == 1 and body[0]["labels"]["slo"] == "am-resend" for body in firing)
    assert len({body[0]["startsAt"] for body in firing}) == 1, "the same alert, re-sent"
    assert all(_parse(body[0]["endsAt"]) > before_resolve for body in firing)
    last = _alerts(receiver)[-1]
    assert before_resolve <= _parse(last["endsAt"]) <= datetime.now(UTC)


async def test_alertmanager_down_then_up_gets_the_alert(caplog: pytest.LogCaptureFixture) -> None:
    telemetry = Telemetry()
    async with running_receiver(fail_first=3) as receiver:
        config = AlertmanagerConfig(urls=(receiver.url,), resend_interval=60)
        sink = AlertmanagerSink(config, telemetry, retry_initial=0.01)
        sink.start()
        sink.offer(change(slo_id="am-down-then-up"))
        [delivered] = await receiver.wait_for(1)
        await sink.stop()
    assert [r.status for r in receiver.received] == [500, 500, 500, 200]
    assert delivered.json()[0]["labels"]["slo"] == "am-down-then-up"
    assert _sink_metric(telemetry, "aegis_notification_failures_total") == 3
    refused = [r for r in caplog.records if "refused alerts" in r.getMessage()]
    assert len(refused) == 1, "one line per outage, not per retry"


async def test_alertmanager_released_alert_is_left_to_the_new_owner_neither_re_sent_nor_resolved() -> None:
    """Another replica owns the SLO now (it keeps the alert firing): this one goes quiet about it."""
    async with running_receiver() as receiver:
        sink = AlertmanagerSink(AlertmanagerConfig(urls=(receiver.url,), resend_interval=0.05), Telemetry())
        sink.start()
        sink.offer(change(slo_id="am-handed-over"))
        await receiver.wait_for(2)
        sink.release("am-handed-over")
        assert sink.firing == ()
        sent = len(receiver.received)
        await asyncio.sleep(0.5)  # ten resend intervals
        await sink.stop()
    # Neither re-sent nor resolved: nothing more arrives (but one send that was already on its way).
    assert [r.json() for r in receiver.received[sent + 1 :]] == []
