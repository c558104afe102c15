"""Server reflection v1 and v1alpha on the live server: the raw protocol, the real grpcurl and ghz.

ghz and grpcurl get nothing but the address: every descriptor comes through reflection.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection_pb2

from aegis.api.reflection import REFLECTION_SERVICES, V1_SERVICE, V1ALPHA_SERVICE, ReflectionServicer
from aegis.v1 import gate_pb2
from tests.conftest import LiveServer, require_binary

OUR_SERVICES = {
    "aegis.v1.GateService",
    "aegis.v1.SLOService",
    "aegis.v1.AuditService",
    "aegis.v1.ReplayService",
}
HTTP_RULE_NUMBER = 72295728  # google.api.http on google.protobuf.MethodOptions

Request = reflection_pb2.ServerReflectionRequest


async def _reflect(live: LiveServer, service: str, *requests: Any) -> list[Any]:
    """One reflection stream: send every request, read one response for each."""
    call = live.channel.stream_stream(
        f"/{service}/ServerReflectionInfo",
        request_serializer=Request.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    return [response async for response in call(iter(requests))]


def _file_names(response: Any) -> list[str]:
    protos = response.file_descriptor_response.file_descriptor_proto
    return [descriptor_pb2.FileDescriptorProto.FromString(raw).name for raw in protos]


@pytest.mark.parametrize("service", REFLECTION_SERVICES)
async def test_reflection_lists_every_service(live: LiveServer, service: str) -> None:
    (response,) = await _reflect(live, service, Request(list_services=""))
    names = {entry.name for entry in response.list_services_response.service}
    assert names == {*OUR_SERVICES, "grpc.health.v1.Health", *REFLECTION_SERVICES}


@pytest.mark.parametrize("service", REFLECTION_SERVICES)
@pytest.mark.parametrize(
    ("symbol", "file"),
    [
        ("aegis.v1.GateService", "aegis/v1/gate.proto"),
        ("aegis.v1.GateService.Decide", "aegis/v1/gate.proto"),  # a method: grpc/grpc#34743
        (".aegis.v1.SLOService.GetSLO", "aegis/v1/slo.proto"),
        ("aegis.v1.DecideRequest", "aegis/v1/gate.proto"),
        ("aegis.v1.Decision", "aegis/v1/evaluation.proto"),
        ("aegis.v1.BLOCK", "aegis/v1/evaluation.proto"),
        ("aegis.v1.Evaluation.BurnRatesEntry", "aegis/v1/evaluation.proto"),
        ("aegis.v1.Evaluation.slo_id", "aegis/v1/evaluation.proto"),
        ("google.api.http", "google/api/annotations.proto"),
        ("grpc.reflection.v1.ServerReflection.ServerReflectionInfo", "grpc/reflection/v1/reflection.proto"),
        ("grpc.reflection.v1.ServerReflectionRequest.message_request", "grpc/reflection/v1/reflection.proto"),
    ],
)
async def test_reflection_resolves_symbols(live: LiveServer, service: str, symbol: str, file: str) -> None:
    (response,) = await _reflect(live, service, Request(file_containing_symbol=symbol))
    names = _file_names(response)
    assert names[0] == file
    assert len(names) == len(set(names))


async def test_reflection_sends_the_file_with_its_imports_and_json_names(live: LiveServer) -> None:
    (response,) = await _reflect(live, V1_SERVICE, Request(file_by_filename="aegis/v1/gate.proto"))
    protos = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in response.file_descriptor_response.file_descriptor_proto
    ]
    assert [p.name for p in protos][:1] == ["aegis/v1/gate.proto"]
    assert {
        "aegis/v1/auth.proto",
        "aegis/v1/evaluation.proto",
        "google/api/annotations.proto",
        "google/api/http.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/timestamp.proto",
    } == {p.name for p in protos[1:]}
    # The files build a pool on their own, and the REST names survive the trip.
    pool = descriptor_pool.DescriptorPool()
    for proto in reversed(protos):
        pool.Add(proto)
    slo_id = pool.FindMessageTypeByName("aegis.v1.DecideRequest").fields_by_name["slo_id"]
    assert slo_id.json_name == "sloID"
    decide = pool.FindServiceByName("aegis.v1.GateService").methods_by_name["Decide"]
    assert decide.input_type.full_name == gate_pb2.DecideRequest.DESCRIPTOR.full_name


@pytest.mark.parametrize("service", REFLECTION_SERVICES)
async def test_reflection_answers_extensions(live: LiveServer, service: str) -> None:
    numbers, containing = await _reflect(
        live,
        service,
        Request(all_extension_numbers_of_type="google.protobuf.MethodOptions"),
        Request(
            file_containing_extension=reflection_pb2.ExtensionRequest(
                containing_type="google.protobuf.MethodOptions", extension_number=HTTP_RULE_NUMBER
            )
        ),
    )
    found = numbers.all_extension_numbers_response
    assert found.base_type_name == "google.protobuf.MethodOptions"
    assert HTTP_RULE_NUMBER in found.extension_number
    assert _file_names(containing)[0] == "google/api/annotations.proto"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (Request(file_containing_symbol="aegis.v1.SLOService.X"), "symbol not found: aegis.v1.SLOService.X"),
        (Request(file_containing_symbol="aegis.v1.Decision.No"), "symbol not found: aegis.v1.Decision.No"),
        (Request(file_containing_symbol=""), "symbol not found: "),
        (Request(file_by_filename="aegis/v1/nope.proto"), "file not found: aegis/v1/nope.proto"),
        (
            Request(
                file_containing_extension=reflection_pb2.ExtensionRequest(
                    containing_type="google.protobuf.MethodOptions", extension_number=1
                )
            ),
            "extension 1 of google.protobuf.MethodOptions not found",
        ),
        (Request(all_extension_numbers_of_type="aegis.v1.Nope"), "type not found: aegis.v1.Nope"),
    ],
)
async def test_reflection_reports_unknown_names_and_keeps_the_stream(
    live: LiveServer, request_: Any, message: str
) -> None:
    missing, listed = await _reflect(live, V1ALPHA_SERVICE, request_, Request(list_services=""))
    assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
    assert missing.error_response.error_message == message
    assert missing.original_request == request_
    assert listed.list_services_response.service


async def test_reflection_rejects_an_empty_request(live: LiveServer) -> None:
    (response,) = await _reflect(live, V1_SERVICE, Request(host="example"))
    assert response.error_response.error_code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert response.valid_host == "example"


def test_reflection_v1_descriptor_mirrors_v1alpha_on_the_wire() -> None:
    """Serving v1 with the v1alpha classes is only sound while the two messages are the same."""
    pool = descriptor_pool.DescriptorPool()
    ReflectionServicer([], pool)
    for name in ("ServerReflectionRequest", "ServerReflectionResponse", "ErrorResponse", "ExtensionRequest"):
        v1 = pool.FindMessageTypeByName(f"grpc.reflection.v1.{name}")
        alpha = pool.FindMessageTypeByName(f"grpc.reflection.v1alpha.{name}")
        shape = [(f.number, f.name, f.type) for f in v1.fields]
        assert shape == [(f.number, f.name, f.type) for f in alpha.fields]
    method = pool.FindServiceByName(V1_SERVICE).methods_by_name["ServerReflectionInfo"]
    assert method.input_type.full_name == "grpc.reflection.v1.ServerReflectionRequest"
    assert method.client_streaming and method.server_streaming


# --- The real tools, through reflection alone ------------------------------------------------


async def _run(binary: str, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        binary, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def _grpcurl(live: LiveServer, *args: str, flags: tuple[str, ...] = ()) -> str:
    """grpcurl -plaintext FLAGS ADDRESS ARGS: no -proto, no -protoset."""
    code, out, err = await _run(require_binary("grpcurl"), "-plaintext", *flags, live.grpc_target, *args)
    assert code == 0, err
    return out


async def test_grpcurl_lists_and_describes_every_service(live: LiveServer) -> None:
    listed = (await _grpcurl(live, "list")).split()
    assert set(listed) == {*OUR_SERVICES, "grpc.health.v1.Health", *REFLECTION_SERVICES}
    for service in listed:
        described = await _grpcurl(live, "describe", service)
        assert described.startswith(f"{service} is a service:"), described


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        (
            "aegis.v1.GateService.Decide",
            [
                "aegis.v1.GateService.Decide is a method:",
                "rpc Decide ( .aegis.v1.DecideRequest ) returns ( .aegis.v1.DecideResponse )",
                'post: "/v1/gate/decision"',
            ],
        ),
        ("aegis.v1.SLOService.GetSLO", ["aegis.v1.SLOService.GetSLO is a method:", 'get: "/v1/slo/{id}"']),
        ("aegis.v1.DecideRequest", ["is a message:", 'string slo_id = 1 [json_name = "sloID"];']),
        ("aegis.v1.Decision", ["aegis.v1.Decision is an enum:", "BLOCK = 3;"]),
        ("aegis.v1.Evaluation.BurnRatesEntry", ["map<string, .aegis.v1.WindowBurnRate> burn_rates = 10;"]),
        ("google.api.http", ["google.api.http is an extension:", ".google.api.HttpRule http = 72295728;"]),
    ],
)
async def test_grpcurl_describes_symbols(live: LiveServer, symbol: str, expected: list[str]) -> None:
    described = await _grpcurl(live, "describe", symbol)
    for line in expected:
        assert line in described, described


async def test_grpcurl_calls_by_method_symbol(live: LiveServer) -> None:
    out = await _grpcurl(live, "aegis.v1.GateService.Decide", flags=("-d", '{"sloID": "checkout-fast-burn"}'))
    evaluation = json.loads(out)["evaluation"]
    assert (evaluation["sloID"], evaluation["decision"]) == ("checkout-fast-burn", "BLOCK")


async def test_ghz_loads_the_gate_through_reflection(live: LiveServer) -> None:
    ghz = require_binary("ghz")
    code, out, err = await _run(
        ghz,
        "--insecure",
        "--call",
        "aegis.v1.GateService.Decide",
        "-d",
        '{"sloID":"api-availability"}',
        "-n",
        "50",
        "--format",
        "json",
        live.grpc_target,
    )
    assert code == 0, err + out
    report = json.loads(out)
    assert report["count"] == 50, report
    assert report["statusCodeDistribution"] == {"OK": 50}, report
    assert not report["errorDistribution"], report


async def test_ghz_reports_the_servers_not_found(live: LiveServer) -> None:
    """ghz reached the method (so reflection worked) and counted the server's own error."""
    code, out, err = await _run(
        require_binary("ghz"),
        "--insecure",
        "--call",
        "aegis.v1.GateService/Decide",
        "-d",
        '{"sloID":"missing"}',
        "-n",
        "3",
        "--format",
        "json",
        live.grpc_target,
    )
    assert code == 0, err + out
    assert json.loads(out)["statusCodeDistribution"] == {"NotFound": 3}
