"""The OpenAPI document: generated from the contract, current, served, and true to the live surface."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.api import annotations_pb2
from jsonschema import Draft4Validator  # type: ignore[import-untyped]

import aegis.v1
from tests.conftest import ROOT, LiveServer, require_binary

DOCUMENT = ROOT / "aegis" / "api" / "openapi.json"
STATUS = "#/definitions/google.rpc.Status"


@pytest.fixture(scope="module")
def document() -> Any:
    return json.loads(DOCUMENT.read_text())


def _operation(document: Any, method: str, path: str) -> Any:
    return document["paths"][path][method.lower()]


@pytest.mark.external
def test_openapi_document_is_current(tmp_path: Path) -> None:
    require_binary("buf", str(ROOT / "tools" / "node_modules" / ".bin" / "buf"))
    require_binary("protoc-gen-openapiv2", str(ROOT / ".cache" / "bin" / "protoc-gen-openapiv2"))
    result = subprocess.run(
        [str(ROOT / "scripts" / "gen_openapi.sh"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, f"scripts/gen_openapi.sh failed:\n{result.stdout}{result.stderr}"
    fresh = (tmp_path / "aegis" / "api" / "openapi.json").read_text()
    assert fresh == DOCUMENT.read_text(), "stale aegis/api/openapi.json: run `make generate`"


def test_openapi_has_an_operation_for_every_http_rule(document: Any) -> None:
    rules = set()
    for info in pkgutil.iter_modules(aegis.v1.__path__):
        if not info.name.endswith("_pb2"):
            continue
        for service in importlib.import_module(f"aegis.v1.{info.name}").DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                rule = method.GetOptions().Extensions[annotations_pb2.http]
                kind = rule.WhichOneof("pattern")
                if kind is not None:
                    rules.add((kind, getattr(rule, kind), f"{service.name}_{method.name}"))
    documented = {
        (verb, path, operation["operationId"])
        for path, item in document["paths"].items()
        for verb, operation in item.items()
    }
    assert documented == rules


def test_openapi_uses_json_names_and_enum_strings(document: Any) -> None:
    definitions = document["definitions"]
    decide_properties = list(definitions["aegis.v1.DecideRequest"]["properties"])
    assert decide_properties == ["sloID", "forceFresh", "dryRun", "deployment"]
    assert "evaluationID" in definitions["aegis.v1.Evaluation"]["properties"]
    audit = _operation(document, "GET", "/v1/audit")
    assert [p["name"] for p in audit["parameters"]][:1] == ["sloID"]
    decision = next(p for p in audit["parameters"] if p["name"] == "decision")
    assert decision["type"] == "string"
    assert decision["enum"] == ["DECISION_UNSPECIFIED", "ALLOW", "WARN", "BLOCK"]
    assert definitions["aegis.v1.Decision"]["type"] == "string"


def test_openapi_unwraps_response_body(document: Any) -> None:
    """`response_body: "evaluation"`: the REST body is the Evaluation, not a DecideResponse."""
    decide = _operation(document, "POST", "/v1/gate/decision")["responses"]["200"]["schema"]
    assert decide == {"$ref": "#/definitions/aegis.v1.Evaluation"}
    get_slo = _operation(document, "GET", "/v1/slo/{id}")["responses"]["200"]["schema"]
    assert get_slo == {"$ref": "#/definitions/aegis.v1.SLO"}
    assert "aegis.v1.DecideResponse" not in document["definitions"]


def test_openapi_errors_are_google_rpc_status(document: Any) -> None:
    for item in document["paths"].values():
        for operation in item.values():
            errors = {code: r for code, r in operation["responses"].items() if code != "200"}
            assert {"400", "500"} <= set(errors), operation["operationId"]
            assert "default" not in errors
            assert all(response["schema"] == {"$ref": STATUS} for response in errors.values())
    status = document["definitions"]["google.rpc.Status"]
    assert status["required"] == ["code", "message", "details"]


def test_openapi_marks_what_responses_always_print(document: Any) -> None:
    evaluation = document["definitions"]["aegis.v1.Evaluation"]
    assert {"sloID", "decision", "reasons", "burnRates", "isStale", "rules"} <= set(evaluation["required"])
    # Messages may be absent (dataTimestamp "when known"); required means always printed.
    assert not {"timestamp", "sli", "dataTimestamp"} & set(evaluation["required"])
    request = document["definitions"]["aegis.v1.DecideRequest"]
    assert request["required"] == ["sloID"]
    assert request["additionalProperties"] is False


async def test_openapi_is_served_as_committed(live: LiveServer) -> None:
    response = await live.rest.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == DOCUMENT.read_bytes()


# Known requests, one per documented outcome; schemathesis explores the rest.
DECIDE = "/v1/gate/decision"
CASES = [
    ("POST", DECIDE, DECIDE, {"sloID": "checkout-fast-burn"}, 200),
    ("POST", DECIDE, DECIDE, {"sloID": "api-availability", "forceFresh": True}, 200),
    ("POST", DECIDE, DECIDE, {"sloID": "missing"}, 404),
    ("POST", DECIDE, DECIDE, {"slo_id": 3}, 400),
    ("GET", "/v1/state/{service}/{environment}", "/v1/state/api-gateway/production", None, 200),
    ("GET", "/v1/state/{service}/{environment}", "/v1/state/api/nowhere", None, 404),
    ("GET", "/v1/slo", "/v1/slo", None, 200),
    ("GET", "/v1/slo", "/v1/slo?verbose=true", None, 400),
    ("GET", "/v1/slo/{id}", "/v1/slo/web-latency", None, 200),
    ("GET", "/v1/slo/{id}", "/v1/slo/missing", None, 404),
    ("GET", "/v1/audit", "/v1/audit?decision=BLOCK&limit=5", None, 200),
    ("GET", "/v1/audit", "/v1/audit?limit=-1", None, 400),
]


@pytest.mark.parametrize(("method", "template", "url", "body", "status"), CASES)
async def test_openapi_matches_live_responses(
    live: LiveServer, document: Any, method: str, template: str, url: str, body: object, status: int
) -> None:
    response = await live.rest.request(method, url, json=body)
    assert response.status_code == status, response.text
    documented = _operation(document, method, template)["responses"]
    assert str(status) in documented
    schema = {**documented[str(status)]["schema"], "definitions": document["definitions"]}
    errors = sorted(Draft4Validator(schema).iter_errors(response.json()), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
