"""The blocking client against scripted server behaviour on grpc_testing's channel.

The test plays the server: it takes each RPC the client makes, checks its request and metadata,
and answers with a response or a status. Backoff sleeps advance a fake clock, so retries and
deadlines are exercised without waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
import pytest

from aegis.client import (
    DeadlineExceededError,
    Decision,
    NotFoundError,
    RuleResult,
    SLISummary,
    UnavailableError,
    WindowBurnRate,
)
from aegis.client.errors import ERROR_BY_CODE, AegisError
from aegis.v1 import evaluation_pb2, gate_pb2, slo_pb2
from tests.client._scripted import (
    DECIDE,
    LIST_SLOS,
    SERVICE_STATE,
    Scripted,
    answer,
    evaluation_pb,
    fail,
    scripted,
)

RESULT_TIMEOUT = 10  # seconds a test waits for the client thread; never reached when all is well


@pytest.fixture
def script() -> Iterator[Scripted]:
    yield from scripted()


def test_decide_sends_the_request_and_returns_a_typed_evaluation(script: Scripted) -> None:
    client = script.client()
    future = script.start(lambda: client.decide("checkout", fresh=True))
    metadata, request, rpc = script.channel.take(DECIDE)
    assert request == gate_pb2.DecideRequest(slo_id="checkout", force_fresh=True)
    assert "authorization" not in metadata
    answer(rpc, gate_pb2.DecideResponse(evaluation=evaluation_pb()))
    evaluation = future.result(RESULT_TIMEOUT)
    assert evaluation.decision is Decision.BLOCK
    assert evaluation.slo_id == "checkout"
    assert evaluation.reasons == ("rule fast-burn fired (BLOCK)",)
    assert evaluation.sli == SLISummary(0.99, 0.01, 0.25, "30d")
    assert evaluation.burn_rates == {"5m": WindowBurnRate(20.0, 14.4)}
    assert evaluation.rules == (
        RuleResult("fast-burn", "5m", "1h", 20.0, 16.0, 14.4, Decision.BLOCK, True, True),
    )
    assert evaluation.flags.stale and not evaluation.flags.trustworthy
    assert evaluation.timestamp == datetime.fromtimestamp(1_800_000_000, UTC)
    assert evaluation.data_timestamp is None
    assert evaluation.to_proto() == evaluation_pb(), "to_proto must give back the message it was read from"


def test_api_key_travels_as_bearer_authorization_metadata(script: Scripted) -> None:
    client = script.client(api_key="k-123.abc", metadata=[("x-request-id", "deploy-42")])
    future = script.start(lambda: client.decide("checkout"))
    metadata, _, rpc = script.channel.take(DECIDE)
    answer(rpc, gate_pb2.DecideResponse(evaluation=evaluation_pb()))
    future.result(RESULT_TIMEOUT)
    assert metadata["authorization"] == "Bearer k-123.abc"
    assert metadata["x-request-id"] == "deploy-42"


@pytest.mark.parametrize("key", ["", "two words", "line\nbreak"])
def test_an_api_key_that_cannot_be_a_bearer_token_is_refused(script: Scripted, key: str) -> None:
    with pytest.raises(ValueError, match="API key"):
        script.client(api_key=key)


@pytest.mark.parametrize("code", sorted(set(ERROR_BY_CODE) - {grpc.StatusCode.UNAVAILABLE}, key=str))
def test_each_status_raises_its_error_once_without_retrying(script: Scripted, code: grpc.StatusCode) -> None:
    client = script.client()
    future = script.start(lambda: client.decide("checkout"))
    _, _, rpc = script.channel.take(DECIDE)
    fail(rpc, code, f"the server says {code.name}")
    with pytest.raises(ERROR_BY_CODE[code]) as raised:
        future.result(RESULT_TIMEOUT)
    assert raised.value.code is code
    assert raised.value.details == f"the server says {code.name}"
    assert raised.value.attempts == 1
    assert isinstance(raised.value.__cause__, grpc.RpcError)
    assert script.time.sleeps == [], "a final status must not be retried"


def test_unavailable_is_retried_with_exponential_backoff_until_it_answers(script: Scripted) -> None:
    client = script.client(timeout=10.0)
    future = script.start(lambda: client.decide("checkout"))
    for _ in range(2):
        _, request, rpc = script.channel.take(DECIDE)
        assert request.slo_id == "checkout"
        fail(rpc, grpc.StatusCode.UNAVAILABLE, "connection refused")
    _, _, rpc = script.channel.take(DECIDE)
    answer(rpc, gate_pb2.DecideResponse(evaluation=evaluation_pb(decision=evaluation_pb2.ALLOW)))
    assert future.result(RESULT_TIMEOUT).decision is Decision.ALLOW
    # rng 0.5 of caps 0.1 and 0.2: full jitter scales the exponential cap.
    assert script.time.sleeps == pytest.approx([0.05, 0.1])
    # Every attempt gets what is left of the call's one deadline.
    assert script.channel.timeouts == pytest.approx([10.0, 9.95, 9.85])


def test_retries_stop_after_max_attempts_with_the_last_status(script: Scripted) -> None:
    client = script.client()
    future = script.start(lambda: client.decide("checkout"))
    for attempt in range(4):
        _, _, rpc = script.channel.take(DECIDE)
        fail(rpc, grpc.StatusCode.UNAVAILABLE, f"down ({attempt})")
    with pytest.raises(UnavailableError) as raised:
        future.result(RESULT_TIMEOUT)
    assert raised.value.attempts == 4
    assert raised.value.details == "down (3)"
    assert script.time.sleeps == pytest.approx([0.05, 0.1, 0.2])


def test_no_retry_waits_past_the_calls_deadline(script: Scripted) -> None:
    client = script.client(timeout=0.12)
    future = script.start(lambda: client.decide("checkout"))
    for _ in range(2):
        _, _, rpc = script.channel.take(DECIDE)
        fail(rpc, grpc.StatusCode.UNAVAILABLE, "down")
    # After 0.05 s of waiting, the next wait (0.1 s) would end past the 0.12 s deadline.
    with pytest.raises(UnavailableError) as raised:
        future.result(RESULT_TIMEOUT)
    assert raised.value.attempts == 2
    assert script.time.sleeps == pytest.approx([0.05])


def test_a_per_call_timeout_replaces_the_default_and_deadline_exceeded_is_final(script: Scripted) -> None:
    client = script.client(timeout=10.0)
    future = script.start(lambda: client.decide("checkout", timeout=2.5))
    _, _, rpc = script.channel.take(DECIDE)
    fail(rpc, grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
    with pytest.raises(DeadlineExceededError):
        future.result(RESULT_TIMEOUT)
    assert script.channel.timeouts == [2.5]
    assert script.time.sleeps == []


def test_no_timeout_means_no_deadline(script: Scripted) -> None:
    client = script.client(timeout=None)
    future = script.start(lambda: client.decide("checkout"))
    _, _, rpc = script.channel.take(DECIDE)
    answer(rpc, gate_pb2.DecideResponse(evaluation=evaluation_pb()))
    future.result(RESULT_TIMEOUT)
    assert script.channel.timeouts == [None]


def test_service_state_and_list_slos_return_typed_results(script: Scripted) -> None:
    client = script.client()
    state_future = script.start(lambda: client.service_state("checkout", "production"))
    _, request, rpc = script.channel.take(SERVICE_STATE)
    assert request == gate_pb2.GetServiceStateRequest(service="checkout", environment="production")
    answer(
        rpc,
        gate_pb2.GetServiceStateResponse(
            service="checkout",
            environment="production",
            decision=evaluation_pb2.BLOCK,
            reasons=["checkout: BLOCK: rule fast-burn fired (BLOCK)"],
            evaluations=[evaluation_pb()],
        ),
    )
    state = state_future.result(RESULT_TIMEOUT)
    assert (state.decision, state.reasons) == (
        Decision.BLOCK,
        ("checkout: BLOCK: rule fast-burn fired (BLOCK)",),
    )
    assert [e.slo_id for e in state.evaluations] == ["checkout"]

    slos_future = script.start(client.list_slos)
    _, _, rpc = script.channel.take(LIST_SLOS)
    slo = slo_pb2.SLO(
        id="checkout", service="checkout", environment="production", objective=0.999, window="30d"
    )
    answer(rpc, slo_pb2.ListSLOsResponse(slos=[slo]))
    (summary,) = slos_future.result(RESULT_TIMEOUT)
    assert (summary.id, summary.objective, summary.last_decision) == ("checkout", 0.999, None)


def test_a_decision_this_client_does_not_know_fails_closed(script: Scripted) -> None:
    client = script.client()
    future = script.start(lambda: client.decide("checkout"))
    _, _, rpc = script.channel.take(DECIDE)
    answer(rpc, gate_pb2.DecideResponse(evaluation=evaluation_pb(decision=7)))
    assert future.result(RESULT_TIMEOUT).decision is Decision.BLOCK


def test_an_answer_without_an_evaluation_is_an_error(script: Scripted) -> None:
    client = script.client()
    future = script.start(lambda: client.decide("checkout"))
    _, _, rpc = script.channel.take(DECIDE)
    answer(rpc, gate_pb2.DecideResponse())
    with pytest.raises(AegisError, match="without an evaluation"):
        future.result(RESULT_TIMEOUT)


def test_not_found_carries_the_servers_message(script: Scripted) -> None:
    client = script.client()
    future = script.start(lambda: client.decide("nope"))
    _, _, rpc = script.channel.take(DECIDE)
    fail(rpc, grpc.StatusCode.NOT_FOUND, "no SLO with id 'nope'")
    with pytest.raises(NotFoundError, match="NOT_FOUND: no SLO with id 'nope'"):
        future.result(RESULT_TIMEOUT)
