"""v0.1.0's REST fields, added to the contract: the same on REST and gRPC, on a live server.

`slos`, `decisions` and `lastUpdated` on the service state; `total` and `offset` on the audit
log; `slosLoaded` on /readyz; an `sli` object on every decision and audit record, zero
traffic included; and a JSON body read as JSON whatever its Content-Type (real curl).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message

from aegis.api.servicers import GateServicer
from aegis.api.transcoder import ServiceBinding, build_rest_app
from aegis.client import AsyncAegisClient, RestClient
from aegis.client import Evaluation as ClientEvaluation
from aegis.metrics.synthetic import SyntheticAdapter
from aegis.scheduler import Evaluator, LatestInMemory, Scheduler, SLOCatalog
from aegis.telemetry import Telemetry
from aegis.v1 import audit_pb2, audit_pb2_grpc, gate_pb2, gate_pb2_grpc
from tests._audit_records import as_answered
from tests._requirements import missing
from tests.api.conftest import COMPAT_DECISIONS, COMPAT_ENVIRONMENT, COMPAT_SERVICE, COMPAT_SLOS
from tests.clients._process import run_tool
from tests.conftest import ROOT, LiveServer, require_binary
from tests.engine.factories import api_availability

# An evaluation without an SLI (no window had traffic or data), as both surfaces print it.
NO_SLI = {"value": 0, "errorRate": 0, "budgetRemaining": 1, "window": ""}


def _as_json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


async def _settled(live: LiveServer) -> str:
    """An instant before which the audit log no longer changes, as an RFC 3339 endTime.

    An evaluation stamped before it was submitted before it (the scheduler stamps and
    submits without yielding), and flush() waits until the submitted ones are written.
    """
    moment = datetime.now(UTC)
    await live.app.audit.flush()
    return moment.isoformat().replace("+00:00", "Z")


# --- GET /v1/state/{service}/{environment} --------------------------------------------------------


async def test_service_state_carries_slos_decisions_and_last_updated_on_both_surfaces(
    compat_live: LiveServer,
) -> None:
    rest = await compat_live.rest.get(f"/v1/state/{COMPAT_SERVICE}/{COMPAT_ENVIRONMENT}")
    stub = gate_pb2_grpc.GateServiceStub(compat_live.channel)
    over_grpc = await stub.GetServiceState(
        gate_pb2.GetServiceStateRequest(service=COMPAT_SERVICE, environment=COMPAT_ENVIRONMENT)
    )
    body = rest.json()
    members = sorted(slo_id for slo_id, (service, _, _) in COMPAT_SLOS.items() if service == COMPAT_SERVICE)
    assert body["slos"] == members
    assert body["decisions"] == {slo_id: COMPAT_DECISIONS[slo_id] for slo_id in members}
    assert body["decision"] == "BLOCK"  # test-burn: the worst wins
    assert body["lastUpdated"] == max(e["timestamp"] for e in body["evaluations"])
    # The same on gRPC (the assembly time aside: each call assembles its own).
    assert {**body, "timestamp": ""} == {**_as_json(over_grpc), "timestamp": ""}


@pytest.fixture
async def unstarted() -> AsyncIterator[tuple[Scheduler, httpx.AsyncClient]]:
    """A gate on two SLOs (built as objects) that nothing has evaluated yet, and no metrics at all."""
    catalog = SLOCatalog([api_availability(), api_availability(id="api-latency")])
    evaluator = Evaluator(SyntheticAdapter({}), telemetry=Telemetry())
    scheduler = Scheduler(catalog, evaluator, latest=LatestInMemory())
    gate = ServiceBinding(gate_pb2.DESCRIPTOR.services_by_name["GateService"], GateServicer(scheduler))
    transport = httpx.ASGITransport(app=build_rest_app([gate]))
    async with httpx.AsyncClient(transport=transport, base_url="http://rest") as client:
        yield scheduler, client


async def test_service_state_lists_unevaluated_slos_without_decisions_or_last_updated(
    unstarted: tuple[Scheduler, httpx.AsyncClient],
) -> None:
    scheduler, client = unstarted
    before = (await client.get("/v1/state/api/production")).json()
    assert before["slos"] == ["api-availability", "api-latency"]
    assert before["decisions"] == {} and "lastUpdated" not in before
    assert before["decision"] == "WARN" and len(before["reasons"]) == 2

    evaluation = await scheduler.evaluate_now("api-latency")
    after = (await client.get("/v1/state/api/production")).json()
    assert after["decisions"] == {"api-latency": "WARN"}  # no fixture: missing data
    assert after["lastUpdated"] == evaluation.timestamp.isoformat().replace("+00:00", "Z")
    # No data in any window: no SLI, and still the sli object.
    assert evaluation.sli is None and after["evaluations"][0]["sli"] == NO_SLI


# --- GET /v1/audit: total and offset --------------------------------------------------------------


async def test_audit_total_is_a_json_number_counting_every_match(compat_live: LiveServer) -> None:
    end = await _settled(compat_live)
    everything = (await compat_live.rest.get("/v1/audit", params={"limit": 1000, "endTime": end})).json()
    assert everything["total"] == len(everything["records"]) > 0
    for filters in ({}, {"sloID": "test-slo"}, {"decision": "BLOCK"}, {"service": COMPAT_SERVICE}):
        response = await compat_live.rest.get("/v1/audit", params={**filters, "limit": 1, "endTime": end})
        body = response.json()
        matching = [r for r in everything["records"] if all(r[k] == v for k, v in filters.items())]
        assert len(body["records"]) == 1
        assert body["total"] == len(matching), filters
        assert f'"total":{len(matching)}' in response.text  # a number, not "3" (int64 would print a string)


async def test_audit_offset_pages_agree_on_both_surfaces(compat_live: LiveServer) -> None:
    end = await _settled(compat_live)
    everything = (await compat_live.rest.get("/v1/audit", params={"limit": 1000, "endTime": end})).json()
    ids = [record["evaluationID"] for record in everything["records"]]
    stub = audit_pb2_grpc.AuditServiceStub(compat_live.channel)
    request = audit_pb2.ListAuditRecordsRequest(limit=2, offset=1)
    request.end_time.FromJsonString(end)
    over_grpc = await stub.ListAuditRecords(request)
    rest = (await compat_live.rest.get("/v1/audit", params={"limit": 2, "offset": 1, "endTime": end})).json()
    assert [r["evaluationID"] for r in rest["records"]] == ids[1:3]
    assert rest["total"] == len(ids)
    assert rest == _as_json(over_grpc)
    # Its token goes on where the offset page ended.
    following = await compat_live.rest.get(
        "/v1/audit", params={"limit": 1000, "endTime": end, "pageToken": rest["nextPageToken"]}
    )
    assert [r["evaluationID"] for r in following.json()["records"]] == ids[3:]
    beyond = (await compat_live.rest.get("/v1/audit", params={"offset": len(ids), "endTime": end})).json()
    assert beyond == {"records": [], "nextPageToken": "", "total": len(ids)}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"offset": "-1"}, "offset must be 0 or more, got -1"),
        ({"offset": "2", "pageToken": "TOKEN"}, "offset cannot be combined with page_token"),
        ({"offset": "ten"}, "invalid query parameter 'offset': expected an integer"),
    ],
    ids=["negative", "with_page_token", "not_a_number"],
)
async def test_audit_offset_errors_are_400_on_rest_and_invalid_argument_on_grpc(
    compat_live: LiveServer, params: dict[str, str], fragment: str
) -> None:
    if params.get("pageToken") == "TOKEN":
        first = (await compat_live.rest.get("/v1/audit", params={"limit": 1})).json()
        params = {**params, "pageToken": first["nextPageToken"]}
    response = await compat_live.rest.get("/v1/audit", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert fragment in response.json()["message"]
    if params["offset"].lstrip("-").isdigit():
        stub = audit_pb2_grpc.AuditServiceStub(compat_live.channel)
        request = audit_pb2.ListAuditRecordsRequest(offset=int(params["offset"]))
        request.page_token = params.get("pageToken", "")
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.ListAuditRecords(request)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert raised.value.details() == response.json()["message"]


# --- /readyz ----------------------------------------------------------------------------------------


async def test_readyz_reports_slos_loaded_beside_ready_and_reasons(
    compat_live: LiveServer, live: LiveServer
) -> None:
    for server in (compat_live, live):
        body = (await server.rest.get("/readyz")).json()
        assert list(body) == ["ready", "slosLoaded", "reasons"]
        assert body["slosLoaded"] == len(server.app.scheduler.slos) > 0
    assert (await compat_live.rest.get("/readyz")).json()["slosLoaded"] == len(COMPAT_SLOS)


# --- The sli object, zero traffic included -------------------------------------------------------------


async def test_zero_traffic_decision_and_its_audit_records_carry_the_sli_object(
    compat_live: LiveServer,
) -> None:
    fresh = {"sloID": "test-quiet", "forceFresh": True}
    body = (await compat_live.rest.post("/v1/gate/decision", json=fresh)).json()
    assert body["decision"] == "WARN" and body["hasNoTraffic"] is True
    assert body["sli"] == NO_SLI
    stub = gate_pb2_grpc.GateServiceStub(compat_live.channel)
    over_grpc = await stub.Decide(gate_pb2.DecideRequest(slo_id="test-quiet"))
    assert over_grpc.evaluation.HasField("sli")
    assert _as_json(over_grpc.evaluation) == body
    await compat_live.app.audit.flush()
    audit = (await compat_live.rest.get("/v1/audit", params={"sloID": "test-quiet"})).json()
    assert audit["records"] and all(record["sli"] == NO_SLI for record in audit["records"])
    assert as_answered(audit["records"][0]) == body
    audit_grpc = await audit_pb2_grpc.AuditServiceStub(compat_live.channel).ListAuditRecords(
        audit_pb2.ListAuditRecordsRequest(slo_id="test-quiet")
    )
    assert _as_json(audit_grpc) == audit


def _rest_decide(url: str, slo_id: str) -> ClientEvaluation:
    with RestClient(url) as client:
        return client.decide(slo_id)


async def test_client_libraries_read_an_unmeasured_sli_as_none(compat_live: LiveServer) -> None:
    """The wrappers' "no SLI" moved from an absent message to an empty window; all three follow."""
    async with AsyncAegisClient(compat_live.grpc_target) as client:
        quiet, measured = await client.decide("test-quiet"), await client.decide("test-slo")
    # The blocking REST client runs in a thread: the server answers on this event loop.
    over_rest = await asyncio.to_thread(_rest_decide, compat_live.rest_url, "test-quiet")
    assert quiet.sli is None and over_rest.sli is None
    assert measured.sli is not None and measured.sli.window == "30d"
    node = require_binary("node")
    if not (ROOT / "clients" / "ts" / "node_modules" / "@connectrpc" / "connect-node").is_dir():
        missing("clients/ts/node_modules is missing (make test runs npm ci there)")
    script = (
        'import { createAegisClient } from "@aegisslo/client";'
        f'const aegis = createAegisClient("http://{compat_live.grpc_target}");'
        'for (const id of ["test-quiet", "test-slo"])'
        ' console.log(JSON.stringify((await aegis.decide(id)).sli ?? null));'
    )
    code, output = await run_tool(
        node, "--input-type=module", "-e", script, cwd=ROOT / "clients" / "ts", env=dict(os.environ)
    )
    assert code == 0, output
    quiet_line, measured_line = output.splitlines()
    assert json.loads(quiet_line) is None
    assert json.loads(measured_line)["window"] == "30d"


# --- Content-Type: lenient about the label, strict about the content -----------------------------------


async def _curl(*args: str) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body of one real curl call."""
    curl = require_binary("curl")
    code, output = await run_tool(curl, "-sS", "-w", "\n%{http_code}", *args, cwd=ROOT, env=dict(os.environ))
    assert code == 0, output
    text, _, status = output.rpartition("\n")
    return int(status), json.loads(text)


async def test_curl_d_json_without_content_type_is_read_as_json(compat_live: LiveServer) -> None:
    url = f"{compat_live.rest_url}/v1/gate/decision"
    status, body = await _curl("-X", "POST", url, "-d", '{"sloID": "test-slo"}')
    assert status == 200, body
    assert body["sloID"] == "test-slo" and body["decision"] == "ALLOW"
    status, error = await _curl("-X", "POST", url, "-d", "sloID=test-slo")
    assert status == 400
    assert error["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "it was sent as 'application/x-www-form-urlencoded'" in error["message"]

