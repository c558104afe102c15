"""Input a hostile or careless client sends, against the live server: a clear 4xx, never 5xx.

Found by trying (issue 9, item 8): a Timestamp out of range was UNKNOWN with a traceback, a
4,300-digit integer in a REST body was 500, and a long sloID echoed whole made grpcio clients fail
with RESOURCE_EXHAUSTED (the status message travels in a trailer, capped at 8 KiB).
"""

from __future__ import annotations

import logging
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, duration_pb2, message_factory, timestamp_pb2
from google.protobuf.message import Message

from aegis.api._wellknown import out_of_range
from aegis.api.echo import MESSAGE_LIMIT, cap_message, echo
from aegis.v1 import audit_pb2, audit_pb2_grpc, evaluation_pb2, gate_pb2, gate_pb2_grpc
from tests.conftest import LiveServer


@pytest.mark.parametrize(
    "start",
    [
        timestamp_pb2.Timestamp(seconds=2**62),
        timestamp_pb2.Timestamp(seconds=-(2**62)),
        timestamp_pb2.Timestamp(seconds=253_402_300_800),
        timestamp_pb2.Timestamp(seconds=0, nanos=-1),
    ],
)
async def test_grpc_timestamp_out_of_range_is_invalid_argument(
    live: LiveServer, start: timestamp_pb2.Timestamp, caplog: pytest.LogCaptureFixture
) -> None:
    stub = audit_pb2_grpc.AuditServiceStub(live.channel)
    with caplog.at_level(logging.WARNING), pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListAuditRecords(audit_pb2.ListAuditRecordsRequest(start_time=start))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "startTime" in (caught.value.details() or "")
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a client's bad input"


async def test_rest_timestamp_out_of_range_is_400(live: LiveServer) -> None:
    response = await live.rest.get("/v1/audit", params={"startTime": "10000-01-01T00:00:00Z"})
    assert response.status_code == 400


@pytest.mark.parametrize("digits", [4_300, 4_301, 100_000])
async def test_rest_huge_integer_in_body_is_400(live: LiveServer, digits: int) -> None:
    body = '{"sloID": "api-availability", "forceFresh": ' + "9" * digits + "}"
    response = await live.rest.post(
        "/v1/gate/decision", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert len(response.json()["message"]) <= MESSAGE_LIMIT + 100


async def test_long_slo_id_is_echoed_truncated_on_both_surfaces(live: LiveServer) -> None:
    slo_id = "x" * 20_000
    stub = gate_pb2_grpc.GateServiceStub(live.channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Decide(gate_pb2.DecideRequest(slo_id=slo_id))
    rest = await live.rest.post("/v1/gate/decision", json={"sloID": slo_id})
    rest_get = await live.rest.get("/v1/slo/" + slo_id[:7000])
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND, caught.value.details()
    details = caught.value.details() or ""
    assert "more characters" in details and len(details) < 400
    assert rest.status_code == 404 and rest.json()["message"] == details
    assert rest_get.status_code == 404 and len(rest_get.json()["message"]) < 400


async def test_long_query_parameter_is_echoed_truncated(live: LiveServer) -> None:
    response = await live.rest.get("/v1/audit", params={"limit": "1" * 5_000})
    assert response.status_code == 400
    assert len(response.json()["message"]) < 600


def test_echo_bounds_a_value_and_says_how_much_was_cut() -> None:
    assert echo("api") == "'api'"
    assert echo("x" * 130, limit=100) == repr("x" * 100) + "... (30 more characters)"
    assert cap_message("m" * 10, limit=20) == "m" * 10
    assert cap_message("m" * 30, limit=20).endswith("(message cut: 10 more characters)")


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (audit_pb2.ListAuditRecordsRequest(), None),
        (
            audit_pb2.ListAuditRecordsRequest(end_time=timestamp_pb2.Timestamp(seconds=1, nanos=10**9)),
            "endTime",
        ),
        (
            evaluation_pb2.Evaluation(
                rules=[evaluation_pb2.RuleResult()],
                timestamp=timestamp_pb2.Timestamp(seconds=253_402_300_799, nanos=999_999_999),
            ),
            None,
        ),
        (
            gate_pb2.GetServiceStateResponse(
                evaluations=[
                    evaluation_pb2.Evaluation(),
                    evaluation_pb2.Evaluation(data_timestamp={"seconds": -(2**40)}),
                ]
            ),
            "evaluations[1].dataTimestamp",
        ),
    ],
)
def test_out_of_range_names_the_field(message: Message, problem: str | None) -> None:
    found = out_of_range(message)
    assert (found is None) if problem is None else (found is not None and found.startswith(problem))


def _with_duration() -> type[Message]:
    """A message with a Duration field (the contract has none yet), built in a private pool."""
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(descriptor_pb2.FileDescriptorProto.FromString(
        duration_pb2.DESCRIPTOR.serialized_pb).SerializeToString())
    holder = descriptor_pb2.FileDescriptorProto(
        name="holder.proto", package="t", syntax="proto3", dependency=["google/protobuf/duration.proto"]
    )
    message = holder.message_type.add(name="Holder")
    message.field.add(
        name="wait", number=1, json_name="wait", type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL, type_name=".google.protobuf.Duration",
    )  # fmt: skip
    pool.Add(holder)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("t.Holder"))


@pytest.mark.parametrize(
    ("seconds", "nanos", "bad"),
    [
        (1, 5, False),
        (-1, -5, False),
        (1, -5, True),
        (0, 10**9, True),
        (10**12, 0, True),
        (-(10**12), 0, True),
    ],
)
def test_out_of_range_checks_durations(seconds: int, nanos: int, bad: bool) -> None:
    holder: Any = _with_duration()()
    holder.wait.seconds = seconds
    holder.wait.nanos = nanos
    found = out_of_range(holder)
    assert (found is not None and found.startswith("wait: ")) if bad else found is None
