"""Webhook delivery against a real local receiver: payload, signature, retries, slow receivers."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime

import pytest

from aegis.notify.change import DecisionChange
from aegis.notify.config import WebhookConfig
from aegis.notify.webhook import WebhookSink
from aegis.spec.model import Decision
from aegis.telemetry import Telemetry
from tests.notify._receiver import running_receiver


def change(slo_id: str = "checkout-fast-burn", decision: Decision = Decision.BLOCK) -> DecisionChange:
    return DecisionChange(
        slo_id=slo_id,
        service="checkout",
        environment="production",
        previous=Decision.ALLOW,
        decision=decision,
        reasons=("fast-burn fired: burn rate 20.0 over 5m and 16.0 over 1h exceeds 14.4",),
        evaluation_id=str(uuid.uuid4()),
        timestamp=datetime(2026, 11, 27, 10, 30, 0, 123456, tzinfo=UTC),
    )


def metric(telemetry: Telemetry, name: str, sink: str) -> float:
    return telemetry.registry.get_sample_value(name, {"sink": sink}) or 0.0


async def test_webhook_posts_the_documented_payload_signed() -> None:
    telemetry = Telemetry()
    async with running_receiver(secret=b"s3cret") as receiver:
        sink = WebhookSink(
            WebhookConfig(url=f"{receiver.url}/hooks/aegis", name="chatops", secret=b"s3cret"), telemetry
        )
        sink.start()
        sent = change()
        sink.offer(sent)
        [got] = await receiver.wait_for(1)
        await sink.stop()
    assert got.path == "/hooks/aegis"
    assert receiver.signature_ok(got)
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-aegis-event"] == "decision_changed"
    uuid.UUID(got.headers["x-aegis-delivery"])
    assert got.json() == {
        "version": 1,
        "event": "decision_changed",
        "sloID": "checkout-fast-burn",
        "service": "checkout",
        "environment": "production",
        "previousDecision": "ALLOW",
        "decision": "BLOCK",
        "reasons": list(sent.reasons),
        "evaluationID": sent.evaluation_id,
        "timestamp": "2026-11-27T10:30:00.123456Z",
    }
    assert metric(telemetry, "aegis_notifications_sent_total", "chatops") == 1


async def test_webhook_signature_fails_for_another_secret_or_a_changed_body() -> None:
    async with running_receiver(secret=b"the-right-one") as receiver:
        sink = WebhookSink(WebhookConfig(url=receiver.url, name="x", secret=b"a-wrong-one"), Telemetry())
        await sink.deliver(change())
        await sink.stop()
    [got] = receiver.received
    assert not receiver.signature_ok(got)
    tampered = json.loads(got.body) | {"decision": "ALLOW"}
    receiver.secret = b"a-wrong-one"
    assert receiver.signature_ok(got)
    assert not receiver.signature_ok(
        type(got)(got.path, got.headers, json.dumps(tampered, separators=(",", ":")).encode(), got.status)
    )


async def test_webhook_without_a_secret_sends_no_signature() -> None:
    async with running_receiver() as receiver:
        sink = WebhookSink(WebhookConfig(url=receiver.url, name="x"), Telemetry())
        assert await sink.deliver(change())
        await sink.stop()
    assert "x-aegis-signature-256" not in receiver.received[0].headers


async def test_webhook_retries_a_failing_receiver_with_one_delivery_id() -> None:
    telemetry = Telemetry()
    async with running_receiver(fail_first=2, secret=b"k") as receiver:
        config = WebhookConfig(url=receiver.url, name="flaky", secret=b"k", retries=3, backoff=0.01)
        sink = WebhookSink(config, telemetry)
        assert await sink.deliver(change())
        await sink.stop()
    assert [r.status for r in receiver.received] == [500, 500, 200]
    assert len({r.headers["x-aegis-delivery"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    assert all(receiver.signature_ok(r) for r in receiver.received)
    assert metric(telemetry, "aegis_notifications_sent_total", "flaky") == 1
    assert metric(telemetry, "aegis_notification_failures_total", "flaky") == 0


async def test_webhook_gives_up_after_its_retries_with_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    telemetry = Telemetry()
    async with running_receiver(fail_first=100) as receiver:
        sink = WebhookSink(WebhookConfig(url=receiver.url, name="down", retries=2, backoff=0.01), telemetry)
        with caplog.at_level(logging.ERROR):
            assert not await sink.deliver(change())
        await sink.stop()
    assert len(receiver.received) == 3
    assert metric(telemetry, "aegis_notification_failures_total", "down") == 1
    [line] = caplog.records
    assert "gave up on checkout-fast-burn ALLOW -> BLOCK after 3 attempt(s): HTTP 500" in line.getMessage()


async def test_webhook_does_not_retry_a_request_the_receiver_refuses() -> None:
    async with running_receiver(status=404) as receiver:
        sink = WebhookSink(WebhookConfig(url=receiver.url, name="gone", retries=5, backoff=0.01), Telemetry())
        assert not await sink.deliver(change())
        await sink.stop()
    assert len(receiver.received) == 1


async def test_webhook_a_dead_receiver_is_retried_then_counted() -> None:
    telemetry = Telemetry()
    async with running_receiver() as receiver:
        url = receiver.url  # nothing listens there once the block ends
    sink = WebhookSink(WebhookConfig(url=url, name="dead", retries=1, backoff=0.01, timeout=2), telemetry)
    assert not await sink.deliver(change())
    await sink.stop()
    assert metric(telemetry, "aegis_notification_failures_total", "dead") == 1


async def test_webhook_a_hung_receiver_costs_the_caller_nothing_and_overflow_is_counted() -> None:
    telemetry = Telemetry()
    async with running_receiver(hang=True) as receiver:
        config = WebhookConfig(url=receiver.url, name="slow", timeout=30, queue_size=3)
        sink = WebhookSink(config, telemetry)
        sink.start()
        # offer() is synchronous: it cannot wait on the receiver. Three fit in the queue.
        for i in range(10):
            sink.offer(change(slo_id=f"slo-{i}"))
        assert metric(telemetry, "aegis_notifications_dropped_total", "slow") == 7
        async with asyncio.timeout(10):
            while not receiver.hung:
                receiver.arrived.clear()
                await receiver.arrived.wait()
        # One is stuck at the receiver, so there is room for exactly one more.
        sink.offer(change(slo_id="slo-10"))
        sink.offer(change(slo_id="slo-11"))
        assert metric(telemetry, "aegis_notifications_dropped_total", "slow") == 8
        await sink.stop(grace=0.1)
