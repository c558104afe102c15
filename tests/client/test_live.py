"""The Python clients against the session's live server: blocking and asyncio gRPC, and REST.

The live server answers on the test's event loop, so the blocking clients run in a thread.
Its embedded default answers api-availability ALLOW, checkout-fast-burn BLOCK and billing-stale
WARN; every transport must return the same typed result for each.
"""

from __future__ import annotations

import asyncio

import pytest

from aegis.client import (
    AegisClient,
    AsyncAegisClient,
    DeadlineExceededError,
    Decision,
    GateTarget,
    InvalidArgumentError,
    NotFoundError,
    RestClient,
    RetryPolicy,
    UnavailableError,
    check,
)
from tests._requirements import free_port
from tests.conftest import LiveServer

EXPECTED = {
    "api-availability": Decision.ALLOW,
    "checkout-fast-burn": Decision.BLOCK,
    "billing-stale": Decision.WARN,
}


@pytest.mark.parametrize(("slo_id", "decision"), sorted(EXPECTED.items()))
async def test_every_python_transport_reads_the_same_decision(
    live: LiveServer, slo_id: str, decision: Decision
) -> None:
    with AegisClient(live.grpc_target) as grpc_client, RestClient(live.rest_url) as rest_client:
        over_grpc = await asyncio.to_thread(grpc_client.decide, slo_id)
        over_rest = await asyncio.to_thread(rest_client.decide, slo_id)
    async with AsyncAegisClient(live.grpc_target) as aio_client:
        over_aio = await aio_client.decide(slo_id)
    assert over_grpc.decision is decision, over_grpc.reasons
    # The cached evaluation is the same one: same audit id, same evidence, whichever transport.
    assert over_grpc == over_rest == over_aio
    assert over_grpc.reasons and over_grpc.rules and over_grpc.sli is not None


async def test_fresh_asks_for_a_new_evaluation(live: LiveServer) -> None:
    async with AsyncAegisClient(live.grpc_target) as client:
        cached = await client.decide("api-availability")
        fresh = await client.decide("api-availability", fresh=True)
    assert fresh.evaluation_id != cached.evaluation_id
    assert fresh.decision is Decision.ALLOW


@pytest.mark.parametrize("transport", ["grpc", "aio", "rest"])
@pytest.mark.parametrize(
    ("slo_id", "error"),
    [("no-such-slo", NotFoundError), ("", InvalidArgumentError)],
    ids=["unknown", "empty"],
)
async def test_server_errors_raise_the_same_typed_error_on_every_transport(
    live: LiveServer, transport: str, slo_id: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        if transport == "aio":
            async with AsyncAegisClient(live.grpc_target) as aio_client:
                await aio_client.decide(slo_id)
        else:
            client = AegisClient(live.grpc_target) if transport == "grpc" else RestClient(live.rest_url)
            with client:
                await asyncio.to_thread(client.decide, slo_id)
    assert raised.value.attempts == 1  # type: ignore[attr-defined]
    assert raised.value.details  # type: ignore[attr-defined]


async def test_service_state_and_slo_list_over_grpc_and_rest(live: LiveServer) -> None:
    with AegisClient(live.grpc_target) as grpc_client, RestClient(live.rest_url) as rest_client:
        for client in (grpc_client, rest_client):
            state = await asyncio.to_thread(client.service_state, "checkout", "production")
            assert state.decision is Decision.BLOCK
            assert [e.slo_id for e in state.evaluations] == ["checkout-fast-burn"]
            slos = await asyncio.to_thread(client.list_slos)
            assert "api-availability" in [slo.id for slo in slos]


async def test_fresh_service_verdict_is_the_worst_of_fresh_evaluations(live: LiveServer) -> None:
    target = GateTarget(service="checkout", environment="production")
    with RestClient(live.rest_url) as client:
        cached = await asyncio.to_thread(check, client, target)
        fresh = await asyncio.to_thread(lambda: check(client, target, fresh=True))
    assert cached.decision is fresh.decision is Decision.BLOCK
    assert fresh.evaluations[0].evaluation_id != cached.evaluations[0].evaluation_id
    assert fresh.reasons == cached.reasons, "fresh and cached service verdicts word their reasons alike"
    assert not fresh.passed()


async def test_a_deadline_too_short_to_answer_is_deadline_exceeded(live: LiveServer) -> None:
    async with AsyncAegisClient(live.grpc_target) as client:
        with pytest.raises(DeadlineExceededError):
            await client.decide("api-availability", fresh=True, timeout=1e-6)


async def test_an_unreachable_server_is_unavailable_after_bounded_retries() -> None:
    port = free_port()  # nothing listens there
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    retry = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
    async with AsyncAegisClient(f"127.0.0.1:{port}", retry=retry, sleep=record) as client:
        with pytest.raises(UnavailableError) as raised:
            await client.decide("api-availability")
    assert raised.value.attempts == 3
    assert len(waits) == 2
    rest = RestClient(f"http://127.0.0.1:{port}", retry=retry, sleep=waits.append)
    with rest, pytest.raises(UnavailableError) as raised:
        await asyncio.to_thread(rest.decide, "api-availability")
    assert raised.value.attempts == 3
