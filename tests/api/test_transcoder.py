"""The REST transcoder against the real aegis descriptors, and a compiled test contract for the rest.

Servicers here are small subclasses of the generated *Servicer classes that echo what they
receive or fail on purpose; requests go through httpx's ASGI transport into the real app.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import grpc_tools  # type: ignore[import-untyped]
import httpx
import pytest
import uvicorn
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.message import Message
from grpc_tools import protoc
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from aegis.api.errors import HTTP_STATUS_BY_CODE
from aegis.api.transcoder import DEFAULT_TIMEOUT, CallContext, RestConfigError, ServiceBinding, build_rest_app
from aegis.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    evaluation_pb2,
    gate_pb2,
    gate_pb2_grpc,
    slo_pb2,
    slo_pb2_grpc,
)

GATE = gate_pb2.DESCRIPTOR.services_by_name["GateService"]
SLO = slo_pb2.DESCRIPTOR.services_by_name["SLOService"]
AUDIT = audit_pb2.DESCRIPTOR.services_by_name["AuditService"]
LOGGER_NAME = "tests.api.transcoder"


class GateServicer(gate_pb2_grpc.GateServiceServicer):
    """Decide echoes the request into an Evaluation unless the SLO id asks for a failure."""

    def __init__(self) -> None:
        self.contexts: list[CallContext] = []

    async def Decide(self, request: gate_pb2.DecideRequest, context: CallContext) -> Any:
        if request.slo_id.startswith("abort:"):
            code = grpc.StatusCode[request.slo_id.removeprefix("abort:")]
            await context.abort(code, f"aborted with {code.name}")
        if request.slo_id == "crash":
            raise RuntimeError("password=hunter2")
        if request.slo_id == "set-code":
            context.set_code(grpc.StatusCode.PERMISSION_DENIED)
            context.set_details("not yours")
            return gate_pb2.DecideResponse()
        if request.slo_id == "none":
            return None
        decision = evaluation_pb2.ALLOW if request.force_fresh else evaluation_pb2.WARN
        evaluation = evaluation_pb2.Evaluation(evaluation_id="ev-1", slo_id=request.slo_id, decision=decision)
        return gate_pb2.DecideResponse(evaluation=evaluation)

    async def GetServiceState(
        self, request: gate_pb2.GetServiceStateRequest, context: CallContext
    ) -> gate_pb2.GetServiceStateResponse:
        self.contexts.append(context)
        return gate_pb2.GetServiceStateResponse(
            service=request.service,
            environment=request.environment,
            decision=evaluation_pb2.BLOCK,
            reasons=["checkout: fast burn"],
        )


class SLOServicer(slo_pb2_grpc.SLOServiceServicer):
    async def ListSLOs(self, request: slo_pb2.ListSLOsRequest, context: CallContext) -> Any:
        return slo_pb2.ListSLOsResponse(
            slos=[slo_pb2.SLO(id="api-availability", objective=0.995), slo_pb2.SLO(id="checkout")]
        )

    async def GetSLO(self, request: slo_pb2.GetSLORequest, context: CallContext) -> Any:
        if request.id == "missing":
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no SLO {request.id!r}")
        return slo_pb2.GetSLOResponse(slo=slo_pb2.SLO(id=request.id, objective=0.995, window="30d"))


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self) -> None:
        self.requests: list[audit_pb2.ListAuditRecordsRequest] = []

    async def ListAuditRecords(
        self, request: audit_pb2.ListAuditRecordsRequest, context: CallContext
    ) -> audit_pb2.ListAuditRecordsResponse:
        self.requests.append(request)
        return audit_pb2.ListAuditRecordsResponse(records=[evaluation_pb2.Evaluation(slo_id=request.slo_id)])


@dataclass
class Servicers:
    gate: GateServicer = field(default_factory=GateServicer)
    slo: SLOServicer = field(default_factory=SLOServicer)
    audit: AuditServicer = field(default_factory=AuditServicer)

    def bindings(self) -> list[ServiceBinding]:
        return [
            ServiceBinding(GATE, self.gate),
            ServiceBinding(SLO, self.slo),
            ServiceBinding(AUDIT, self.audit),
        ]


@pytest.fixture
def servicers() -> Servicers:
    return Servicers()


@pytest.fixture
async def client(servicers: Servicers) -> AsyncIterator[httpx.AsyncClient]:
    app = build_rest_app(servicers.bindings(), logger=logging.getLogger(LOGGER_NAME))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://aegis.test"
    ) as client:
        yield client


def assert_status(response: httpx.Response, http_status: int, code: grpc.StatusCode, fragment: str) -> None:
    """The response is a google.rpc.Status JSON error with this code and a message containing `fragment`."""
    assert response.status_code == http_status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == code.value[0]
    assert fragment in body["message"]
    assert body["details"] == []


def assert_bad_request(response: httpx.Response, fragment: str) -> None:
    assert_status(response, 400, grpc.StatusCode.INVALID_ARGUMENT, fragment)


# --- The aegis contract: every route ----------------------------------------------------------


async def test_decide_returns_the_evaluation_as_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/gate/decision", json={"sloID": "api-availability", "forceFresh": True})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert "evaluation" not in body
    assert body["sloID"] == "api-availability"
    assert body["evaluationID"] == "ev-1"
    assert body["decision"] == "ALLOW"


async def test_decide_prints_false_zero_and_empty_lists(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/gate/decision", json={"sloID": "api-availability"})

    body = response.json()
    assert body["decision"] == "WARN"
    assert body["ttl"] == 0
    assert body["isStale"] is False
    assert body["hasNoTraffic"] is False
    assert body["reasons"] == []
    assert body["rules"] == []
    assert body["burnRates"] == {}


async def test_decide_accepts_proto_field_names_in_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/gate/decision", json={"slo_id": "checkout", "force_fresh": True})

    assert response.status_code == 200
    assert response.json()["sloID"] == "checkout"
    assert response.json()["decision"] == "ALLOW"


@pytest.mark.parametrize("content", [b"", b"  \n"])
async def test_decide_empty_body_is_an_empty_object(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post("/v1/gate/decision", content=content)

    assert response.status_code == 200
    assert response.json()["sloID"] == ""


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/vnd.aegis+json"])
async def test_decide_accepts_json_media_types(client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post(
        "/v1/gate/decision", content=b'{"sloID": "x"}', headers={"content-type": content_type}
    )

    assert response.status_code == 200
    assert response.json()["sloID"] == "x"


async def test_get_service_state_binds_path_variables(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/state/api/prod")

    assert response.status_code == 200
    assert response.json() == {
        "service": "api",
        "environment": "prod",
        "decision": "BLOCK",
        "reasons": ["checkout: fast burn"],
        "evaluations": [],
        # Fields without presence always print: the contract's new fields appear as [] and {}.
        "slos": [],
        "decisions": {},
    }


async def test_get_service_state_decodes_path_variables(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/state/team%2Fapi/pr%C3%B6d%20eu")

    assert response.json()["service"] == "team/api"
    assert response.json()["environment"] == "pröd eu"


async def test_list_slos_returns_the_whole_response(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/slo")

    assert response.status_code == 200
    slos = response.json()["slos"]
    assert [slo["id"] for slo in slos] == ["api-availability", "checkout"]
    assert slos[1]["objective"] == 0
    assert slos[1]["burnRateRules"] == []


async def test_get_slo_honors_response_body(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/slo/api-availability")

    assert response.status_code == 200
    body = response.json()
    assert "slo" not in body
    assert body["id"] == "api-availability"
    assert body["window"] == "30d"
    assert body["minDataPoints"] == 0
    assert body["labels"] == {}


async def test_list_audit_records_parses_every_query_parameter_type(
    client: httpx.AsyncClient, servicers: Servicers
) -> None:
    params = {
        "sloID": "api-availability",
        "service": "api",
        "environment": "prod",
        "decision": "BLOCK",
        "startTime": "2024-05-01T00:00:00Z",
        "endTime": "2024-05-02T12:30:00.250+02:00",
        "limit": "25",
        "pageToken": "next",
        "offset": "10",
    }

    response = await client.get("/v1/audit", params=params)

    assert response.status_code == 200
    assert response.json() == {"records": [response.json()["records"][0]], "nextPageToken": "", "total": 0}
    expected = audit_pb2.ListAuditRecordsRequest(
        slo_id="api-availability",
        service="api",
        environment="prod",
        decision=evaluation_pb2.BLOCK,
        limit=25,
        page_token="next",
        offset=10,
    )
    expected.start_time.FromJsonString("2024-05-01T00:00:00Z")
    expected.end_time.FromJsonString("2024-05-02T10:30:00.250Z")
    assert servicers.audit.requests == [expected]


@pytest.mark.parametrize(
    ("key", "field_name", "value"),
    [
        ("sloID", "slo_id", "checkout"),
        ("slo_id", "slo_id", "checkout"),
        ("pageToken", "page_token", "t"),
        ("page_token", "page_token", "t"),
    ],
)
async def test_list_audit_records_accepts_json_and_proto_names(
    client: httpx.AsyncClient, servicers: Servicers, key: str, field_name: str, value: str
) -> None:
    response = await client.get("/v1/audit", params={key: value})

    assert response.status_code == 200
    assert getattr(servicers.audit.requests[0], field_name) == value


async def test_list_audit_records_accepts_enum_numbers_and_negative_ints(
    client: httpx.AsyncClient, servicers: Servicers
) -> None:
    response = await client.get(
        "/v1/audit", params={"decision": "2", "limit": "-1", "start_time": "1970-01-01T00:00:00Z"}
    )

    assert response.status_code == 200
    request = servicers.audit.requests[0]
    assert request.decision == evaluation_pb2.WARN
    assert request.limit == -1
    assert request.HasField("start_time")


async def test_list_audit_records_without_parameters_is_an_empty_request(
    client: httpx.AsyncClient, servicers: Servicers
) -> None:
    response = await client.get("/v1/audit")

    assert response.status_code == 200
    assert servicers.audit.requests == [audit_pb2.ListAuditRecordsRequest()]


# --- Bad requests are 400 INVALID_ARGUMENT naming what is wrong ---------------------------------


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("limit=abc", "invalid query parameter 'limit': expected an integer (int32"),
        ("limit=1.5", "invalid query parameter 'limit'"),
        ("limit=", "invalid query parameter 'limit'"),
        ("limit=2147483648", "from -2147483648 to 2147483647"),
        ("startTime=yesterday", "invalid query parameter 'startTime': expected an RFC 3339 timestamp"),
        ("end_time=2024-05-01T12:00:00", "invalid query parameter 'end_time'"),
        # An unencoded "+" is a space in a query string: the offset must be sent as %2B.
        ("startTime=2024-05-01T12:00:00+02:00", "got '2024-05-01T12:00:00 02:00'"),
        ("decision=MAYBE", "invalid query parameter 'decision': expected one of DECISION_UNSPECIFIED, ALLOW"),
        ("decision=7", "got '7'"),
        ("decision=allow", "got 'allow'"),
        ("limt=5", "unknown query parameter 'limt' (ListAuditRecordsRequest has: sloID, service"),
        ("sloId=x", "unknown query parameter 'sloId'"),
        ("sloID=a&slo_id=b", "field slo_id is set 2 times by query parameters 'sloID', 'slo_id'"),
        ("limit=1&limit=2", "field limit is set 2 times"),
        (
            "startTime.seconds=5",
            "unknown query parameter 'startTime.seconds': startTime has no fields to set",
        ),
        ("service.name=x", "unknown query parameter 'service.name'"),
    ],
)
async def test_list_audit_records_rejects_bad_query(
    client: httpx.AsyncClient, servicers: Servicers, query: str, fragment: str
) -> None:
    response = await client.get(f"/v1/audit?{query}")

    assert_bad_request(response, fragment)
    assert servicers.audit.requests == []


async def test_get_service_state_rejects_query_parameter_bound_by_path(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/state/api/prod", params={"service": "other"})

    assert_bad_request(response, "query parameter 'service' sets service, which the path already binds")


async def test_decide_rejects_query_parameters(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/gate/decision", params={"sloID": "x"}, json={})

    assert_bad_request(response, "unknown query parameter 'sloID'")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{bad", "the request body is not valid JSON: Expecting property name"),
        (b"[1, 2]", "the request body must be a JSON object, got an array"),
        (b'"api"', "the request body must be a JSON object, got a string"),
        (b"null", "the request body must be a JSON object, got null"),
        (b'{"sloID": "a", "nope": 1}', 'no field named "nope"'),
        (b'{"forceFresh": "yes"}', "forceFresh"),
        (b'{"sloID": 5}', "sloID"),
        (b'{"sloID": "a", "sloID": "b"}', "key 'sloID' appears twice"),
        (b'{"sloID": NaN}', "NaN is not JSON"),
        (b"\xff\xfe", "the request body is not valid UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "the request body is nested too deeply"),
    ],
)
async def test_decide_rejects_bad_bodies(
    client: httpx.AsyncClient, servicers: Servicers, content: bytes, fragment: str
) -> None:
    response = await client.post(
        "/v1/gate/decision", content=content, headers={"content-type": "application/json"}
    )

    assert_bad_request(response, fragment)


NON_JSON_CONTENT_TYPES = [
    "application/x-www-form-urlencoded",  # what `curl -d` sends
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin-1",
    "application/octet-stream",
]


@pytest.mark.parametrize("content_type", NON_JSON_CONTENT_TYPES)
async def test_decide_reads_a_json_body_whatever_its_content_type(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.post(
        "/v1/gate/decision",
        content=b'{"sloID": "a", "forceFresh": true}',
        headers={"content-type": content_type},
    )

    assert response.status_code == 200, response.text
    assert response.json()["sloID"] == "a"
    assert response.json()["decision"] == "ALLOW"  # forceFresh came through too


@pytest.mark.parametrize("content_type", NON_JSON_CONTENT_TYPES)
@pytest.mark.parametrize("content", [b"sloID=a&forceFresh=true", b"\xe9t\xe9"], ids=["form", "latin-1"])
async def test_decide_rejects_a_body_that_is_not_json_naming_its_content_type(
    client: httpx.AsyncClient, content_type: str, content: bytes
) -> None:
    response = await client.post("/v1/gate/decision", content=content, headers={"content-type": content_type})

    assert_bad_request(response, f"it was sent as {content_type!r}; request bodies are read as JSON")


async def test_decide_bounds_a_hostile_content_type_quoted_in_the_error(client: httpx.AsyncClient) -> None:
    label = "text/" + "x" * 10_000
    response = await client.post("/v1/gate/decision", content=b"sloID=a", headers={"content-type": label})

    assert_bad_request(response, "more characters); request bodies are read as JSON")
    assert len(response.json()["message"]) < 1_000


async def test_get_rejects_a_body(client: httpx.AsyncClient) -> None:
    response = await client.request("GET", "/v1/slo", content=b"{}")

    assert_bad_request(response, "GET /v1/slo takes no request body")


# --- Routing: 404, 405, trailing slashes ---------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/nope", "/v1/slo/", "/v1/slo/api/", "/v1/state/api", "/v1/state/api/prod/x", "//v1/slo", "/"]
)
async def test_unmatched_path_is_404_status(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert_status(response, 404, grpc.StatusCode.NOT_FOUND, "no route matches GET")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v1/gate/decision", "POST"),
        ("DELETE", "/v1/slo", "GET"),
        ("PUT", "/v1/slo/api", "GET"),
        ("POST", "/v1/state/api/prod", "GET"),
        ("HEAD", "/v1/audit", "GET"),
        ("OPTIONS", "/v1/audit", "GET"),
    ],
)
async def test_wrong_method_is_405_with_allow(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    if method != "HEAD":
        assert_status(
            response, 405, grpc.StatusCode.UNIMPLEMENTED, f"method {method} is not allowed on {path}"
        )


# --- Servicer outcomes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", [c for c in grpc.StatusCode if c is not grpc.StatusCode.OK], ids=lambda code: code.name
)
async def test_abort_maps_code_to_http_status(client: httpx.AsyncClient, code: grpc.StatusCode) -> None:
    response = await client.post("/v1/gate/decision", json={"sloID": f"abort:{code.name}"})

    assert_status(response, HTTP_STATUS_BY_CODE[code], code, f"aborted with {code.name}")


async def test_get_slo_abort_not_found_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/slo/missing")

    assert_status(response, 404, grpc.StatusCode.NOT_FOUND, "no SLO 'missing'")


async def test_unexpected_exception_is_500_without_details(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER_NAME)

    response = await client.post("/v1/gate/decision", json={"sloID": "crash"})

    assert_status(response, 500, grpc.StatusCode.INTERNAL, "internal error")
    assert response.json()["message"] == "internal error"
    assert "hunter2" not in response.text
    [record] = [r for r in caplog.records if r.name == LOGGER_NAME]
    # Both surfaces name the method in gRPC's path form, so one grep finds it in the logs.
    assert "/aegis.v1.GateService/Decide" in record.getMessage()
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


async def test_code_set_on_context_wins_over_the_response(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/gate/decision", json={"sloID": "set-code"})

    assert_status(response, 403, grpc.StatusCode.PERMISSION_DENIED, "not yours")


async def test_wrong_response_type_is_500(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER_NAME)

    response = await client.post("/v1/gate/decision", json={"sloID": "none"})

    assert_status(response, 500, grpc.StatusCode.INTERNAL, "internal error")
    assert any("returned NoneType instead of DecideResponse" in r.getMessage() for r in caplog.records)


async def test_generated_unimplemented_method_is_501() -> None:
    app = build_rest_app([ServiceBinding(SLO, slo_pb2_grpc.SLOServiceServicer())])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://aegis.test"
    ) as client:
        response = await client.get("/v1/slo")

    assert_status(response, 501, grpc.StatusCode.UNIMPLEMENTED, "Method not implemented!")


async def test_real_uvicorn_server_routes_raw_paths(servicers: Servicers) -> None:
    """Over a real socket the raw path (with %2F) reaches the matcher, and errors stay Status JSON."""
    app = build_rest_app(servicers.bindings())
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="none"))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        # Listening already: connections wait in the backlog until uvicorn starts accepting.
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        port = listener.getsockname()[1]
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                found = await client.get("/v1/state/team%2Fapi/prod")
                missing = await client.get("/v1/slo/")
                wrong_method = await client.delete("/v1/slo")
        finally:
            server.should_exit = True
            await serving

    assert found.json()["service"] == "team/api"
    assert_status(missing, 404, grpc.StatusCode.NOT_FOUND, "no route matches GET /v1/slo/")
    assert_status(wrong_method, 405, grpc.StatusCode.UNIMPLEMENTED, "allowed: GET")


async def test_routes_below_a_root_path_keep_encoded_slashes(servicers: Servicers) -> None:
    app = build_rest_app(servicers.bindings())
    transport = httpx.ASGITransport(app=app, root_path="/api")
    async with httpx.AsyncClient(transport=transport, base_url="http://aegis.test") as client:
        response = await client.get("/api/v1/slo/team%2Fapi")

    assert response.status_code == 200
    assert response.json()["id"] == "team/api"


async def test_context_exposes_headers_as_metadata_and_the_peer(
    client: httpx.AsyncClient, servicers: Servicers
) -> None:
    await client.get("/v1/state/api/prod", headers={"X-Request-ID": "abc-123"})

    [context] = servicers.gate.contexts
    assert ("x-request-id", "abc-123") in context.invocation_metadata()
    assert context.peer() == "ipv4:127.0.0.1:123"
    # No Grpc-Timeout header: the server's default deadline.
    remaining = context.time_remaining()
    assert remaining is not None and 0 < remaining <= DEFAULT_TIMEOUT
    assert context.code() is None


# --- Extra routes and app-level limits ---------------------------------------------------------


async def _healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _crash(request: Request) -> Response:
    raise RuntimeError("probe broke")


async def test_extra_routes_are_mounted_and_their_errors_are_status_json(servicers: Servicers) -> None:
    routes = [Route("/healthz", _healthz), Route("/crash", _crash)]
    app = build_rest_app(servicers.bindings(), routes=routes)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://aegis.test") as client:
        healthz = await client.get("/healthz")
        wrong_method = await client.post("/healthz")
        crash = await client.get("/crash")
        api = await client.get("/v1/slo")

    assert healthz.status_code == 200
    assert healthz.text == "ok"
    assert_status(wrong_method, 405, grpc.StatusCode.UNIMPLEMENTED, "Method Not Allowed")
    assert "GET" in wrong_method.headers["allow"]
    assert_status(crash, 500, grpc.StatusCode.INTERNAL, "internal error")
    assert "probe broke" not in crash.text
    assert api.status_code == 200


async def test_body_over_the_limit_is_413_resource_exhausted(servicers: Servicers) -> None:
    app = build_rest_app(servicers.bindings(), max_body_size=64)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://aegis.test"
    ) as client:
        response = await client.post("/v1/gate/decision", json={"sloID": "x" * 100})

    assert_status(
        response, 413, grpc.StatusCode.RESOURCE_EXHAUSTED, "the request body is larger than 64 bytes"
    )


def test_build_rest_app_rejects_a_servicer_without_the_method() -> None:
    with pytest.raises(
        RestConfigError, match=r"aegis.v1.GateService.Decide: servicer object has no method Decide"
    ):
        build_rest_app([ServiceBinding(GATE, object())])


def test_build_rest_app_rejects_the_same_route_twice() -> None:
    bindings = [ServiceBinding(SLO, SLOServicer()), ServiceBinding(SLO, SLOServicer())]

    with pytest.raises(RestConfigError, match=r"GET /v1/slo matches the same requests as GET /v1/slo"):
        build_rest_app(bindings)


# --- A compiled test contract: the grammar and field kinds aegis does not use yet --------------

THINGS_PROTO = """
syntax = "proto3";
package aegistest.v1;

import "google/api/annotations.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

message Inner {
  string label = 1;
  int32 rank = 2;
}

message Thing {
  string name = 1;
  bool flag = 2;
  double ratio = 3;
  bytes blob = 4;
  repeated string tags = 5;
  repeated int64 counts = 6;
  Inner inner = 7;
  google.protobuf.Duration wait = 8;
  google.protobuf.Int32Value maybe = 9;
  uint64 big = 10;
  oneof choice {
    string left = 11;
    string right = 12;
  }
  map<string, string> attrs = 13;
  repeated Inner inners = 14;
  float small = 15;
  repeated google.protobuf.Timestamp stamps = 16;
}

service Things {
  rpc GetThing(Thing) returns (Thing) {
    option (google.api.http) = {
      get: "/v1/things/{name}"
      additional_bindings { post: "/v1/things/{name}:touch" body: "inner" }
      additional_bindings { custom { kind: "REPORT" path: "/v1/things/{name}" } }
    };
  }
  rpc PutThing(Thing) returns (Thing) {
    option (google.api.http) = {put: "/v1/things/{name}" body: "*"};
  }
  rpc DeleteThing(Thing) returns (Thing) {
    option (google.api.http) = {delete: "/v1/things/{name}"};
  }
  rpc PatchInner(Thing) returns (Thing) {
    option (google.api.http) = {patch: "/v1/things/{name}/inner/{inner.label}" body: "tags"};
  }
  rpc GetFile(Thing) returns (Thing) {
    option (google.api.http) = {get: "/v1/files/{name=**}" response_body: "name"};
  }
  rpc ListTags(Thing) returns (Thing) {
    option (google.api.http) = {get: "/v1/tags" response_body: "tags"};
  }
  rpc NoHttp(Thing) returns (Thing);
}

service BadTemplate {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {get: "/v1/{name"}; }
}
service UnknownPathField {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {get: "/v1/{nope}"}; }
}
service MessagePathField {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {get: "/v1/{inner}"}; }
}
service RepeatedPathField {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {get: "/v1/{tags}"}; }
}
service PathThroughRepeated {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {get: "/v1/{inners.label}"}; }
}
service GetWithBody {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {get: "/v1/x" body: "*"}; }
}
service UnknownBodyField {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {post: "/v1/x" body: "nope"}; }
}
service UnknownResponseField {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {get: "/v1/x" response_body: "nope"}; }
}
service PathAndBodyOverlap {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {post: "/v1/{inner.label}" body: "inner"}; }
}
service DuplicateRoutes {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {get: "/v1/dup/{name}"}; }
  rpc N(Thing) returns (Thing) { option (google.api.http) = {get: "/v1/dup/{inner.label}"}; }
}
service NestedBindings {
  rpc M(Thing) returns (Thing) {
    option (google.api.http) = {
      get: "/v1/a"
      additional_bindings { get: "/v1/b" additional_bindings { get: "/v1/c" } }
    };
  }
}
service NoPattern {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {body: "*"}; }
}
service BadCustomKind {
  rpc M(Thing) returns (Thing) { option (google.api.http) = {custom { kind: "GET ME" path: "/v1/x" }}; }
}
service Streaming {
  rpc M(stream Thing) returns (Thing) { option (google.api.http) = {post: "/v1/s" body: "*"}; }
}
"""


class EchoServicer:
    """Answers every RPC of the test contract with its request, so a test sees what was built."""

    async def GetThing(self, request: Message, context: CallContext) -> Message:
        return request

    PutThing = DeleteThing = PatchInner = GetFile = ListTags = M = N = GetThing


@pytest.fixture(scope="module")
def things_pool(tmp_path_factory: pytest.TempPathFactory) -> descriptor_pool.DescriptorPool:
    """Compile THINGS_PROTO with grpcio-tools' protoc into a private descriptor pool."""
    root = tmp_path_factory.mktemp("proto")
    (root / "aegistest" / "v1").mkdir(parents=True)
    (root / "aegistest" / "v1" / "things.proto").write_text(THINGS_PROTO)
    descriptor_set = root / "things.pb"
    googleapis = Path(annotations_pb2.__file__).parents[2]
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    status = protoc.main(
        [
            "protoc",
            f"-I{root}",
            f"-I{googleapis}",
            f"-I{well_known}",
            "--include_imports",
            f"--descriptor_set_out={descriptor_set}",
            "aegistest/v1/things.proto",
        ]
    )
    assert status == 0, "protoc could not compile the test contract"
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes()).file:
        pool.Add(file)
    return pool


@pytest.fixture
async def things(things_pool: descriptor_pool.DescriptorPool) -> AsyncIterator[httpx.AsyncClient]:
    service = things_pool.FindServiceByName("aegistest.v1.Things")
    app = build_rest_app([ServiceBinding(service, EchoServicer())])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://aegis.test"
    ) as client:
        yield client


async def test_query_parameters_of_every_field_kind(things: httpx.AsyncClient) -> None:
    query = (
        "flag=true&ratio=0.25&blob=aGk&tags=a&tags=b&counts=1&counts=-2&inner.label=L&inner.rank=3"
        "&wait=1.5s&maybe=7&big=18446744073709551615&left=l&small=1.5"
        "&stamps=2024-05-01T00:00:00Z&stamps=2024-05-02T00:00:00Z"
    )

    response = await things.get(f"/v1/things/x?{query}")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "x",
        "flag": True,
        "ratio": 0.25,
        "blob": "aGk=",
        "tags": ["a", "b"],
        "counts": ["1", "-2"],
        "inner": {"label": "L", "rank": 3},
        "wait": "1.500s",
        "maybe": 7,
        "big": "18446744073709551615",
        "left": "l",
        "attrs": {},
        "inners": [],
        "small": 1.5,
        "stamps": ["2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"],
    }


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("flag=yes", "invalid query parameter 'flag': expected true or false, got 'yes'"),
        ("ratio=1e", "invalid query parameter 'ratio': expected a number"),
        ("small=1e39", "within the range of a float"),
        ("blob=%21%21", "expected base64"),
        ("big=-1", "expected an integer (uint64"),
        ("counts=1&counts=x", "got 'x'"),
        ("wait=5", "expected a duration in seconds such as 1.5s, got '5'"),
        ("maybe=seven", "invalid query parameter 'maybe': expected an integer (int32"),
        ("left=a&right=b", "cannot be set together with left (oneof choice)"),
        ("attrs=x", "map fields cannot be set from the query string"),
        ("inner=x", "query parameter 'inner' names a message: set its fields instead, e.g. inner.label"),
        ("inners=x", "names a message"),
        ("name=y", "which the path already binds"),
    ],
)
async def test_query_rejects_bad_values(things: httpx.AsyncClient, query: str, fragment: str) -> None:
    response = await things.get(f"/v1/things/x?{query}")

    assert_bad_request(response, fragment)


async def test_custom_verb_with_a_field_body(things: httpx.AsyncClient) -> None:
    response = await things.post("/v1/things/x:touch?tags=t", json={"label": "L", "rank": 2})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "x"
    assert body["inner"] == {"label": "L", "rank": 2}
    assert body["tags"] == ["t"]


async def test_field_body_rejects_query_for_the_body_field(things: httpx.AsyncClient) -> None:
    response = await things.post("/v1/things/x:touch?inner.rank=1", json={"label": "L"})

    assert_bad_request(response, "which the request body already binds")


async def test_custom_http_method(things: httpx.AsyncClient) -> None:
    response = await things.request("REPORT", "/v1/things/x")

    assert response.status_code == 200
    assert response.json()["name"] == "x"


async def test_put_whole_body_with_path_variable(things: httpx.AsyncClient) -> None:
    response = await things.put("/v1/things/x", json={"flag": True, "inner": {"rank": 4}})

    assert response.status_code == 200
    assert response.json()["name"] == "x"
    assert response.json()["inner"] == {"label": "", "rank": 4}


async def test_put_whole_body_must_not_repeat_path_fields(things: httpx.AsyncClient) -> None:
    response = await things.put("/v1/things/x", json={"name": "y"})

    assert_bad_request(response, "the request body sets name, which the path already binds")


async def test_delete_without_body(things: httpx.AsyncClient) -> None:
    response = await things.delete("/v1/things/x")

    assert response.status_code == 200
    assert response.json()["name"] == "x"


async def test_405_lists_every_method_of_the_path(things: httpx.AsyncClient) -> None:
    response = await things.post("/v1/things/x")

    assert_status(response, 405, grpc.StatusCode.UNIMPLEMENTED, "allowed: GET, REPORT, PUT, DELETE")
    assert response.headers["allow"] == "GET, REPORT, PUT, DELETE"


async def test_nested_path_variable_and_repeated_body_field(things: httpx.AsyncClient) -> None:
    response = await things.patch("/v1/things/x/inner/L%201", json=["a", "b"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "x"
    assert body["inner"]["label"] == "L 1"
    assert body["tags"] == ["a", "b"]


async def test_field_body_of_the_wrong_type(things: httpx.AsyncClient) -> None:
    response = await things.patch("/v1/things/x/inner/L", json={"a": 1})

    assert_bad_request(response, "invalid request body")


async def test_deep_wildcard_variable_and_scalar_response_body(things: httpx.AsyncClient) -> None:
    response = await things.get("/v1/files/docs/a%2Fb/c.txt")

    assert response.status_code == 200
    assert response.json() == "docs/a%2Fb/c.txt"


async def test_repeated_response_body(things: httpx.AsyncClient) -> None:
    response = await things.get("/v1/tags?tags=a&tags=b")

    assert response.json() == ["a", "b"]
    assert json.loads(response.content) == ["a", "b"]


def test_build_rest_app_skips_methods_without_http_rule(things_pool: descriptor_pool.DescriptorPool) -> None:
    service = things_pool.FindServiceByName("aegistest.v1.Things")

    app = build_rest_app([ServiceBinding(service, EchoServicer())])

    assert not hasattr(EchoServicer(), "NoHttp")
    assert app.routes


@pytest.mark.parametrize(
    ("service", "fragment"),
    [
        ("BadTemplate", "aegistest.v1.BadTemplate.M (GET '/v1/{name'): invalid path template"),
        ("UnknownPathField", "aegistest.v1.Thing has no field 'nope'"),
        ("MessagePathField", "path variable {inner} must name a singular scalar"),
        ("RepeatedPathField", "path variable {tags} must name a singular scalar"),
        ("PathThroughRepeated", "inners is not a singular message field"),
        ("GetWithBody", "a GET rule cannot take a body"),
        ("UnknownBodyField", "aegistest.v1.Thing has no field 'nope'"),
        ("UnknownResponseField", "aegistest.v1.Thing has no field 'nope'"),
        ("PathAndBodyOverlap", "field inner.label is bound by both the path and the body"),
        ("DuplicateRoutes", "GET /v1/dup/{inner.label} matches the same requests as GET /v1/dup/{name}"),
        ("NestedBindings", "additional_bindings cannot be nested"),
        ("NoPattern", "http rule sets none of get, put, post, delete, patch, custom"),
        ("BadCustomKind", "custom http method 'GET ME' is not an HTTP token"),
        ("Streaming", "streaming methods cannot be transcoded"),
    ],
)
def test_build_rest_app_rejects_bad_rules_at_startup(
    things_pool: descriptor_pool.DescriptorPool, service: str, fragment: str
) -> None:
    descriptor = things_pool.FindServiceByName(f"aegistest.v1.{service}")

    with pytest.raises(RestConfigError) as caught:
        build_rest_app([ServiceBinding(descriptor, EchoServicer())])

    assert fragment in str(caught.value)
