"""The gRPC code <-> HTTP status table and google.rpc.Status bodies."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import any_pb2

from aegis.api.errors import (
    FALLBACK_BODY,
    HTTP_STATUS_BY_CODE,
    StatusError,
    code_for_http_status,
    encode_status,
    http_status_for,
    status_response,
)

# Written out independently of the module (grpc-gateway's HTTPStatusFromCode), so a typo in the
# table fails here instead of being copied.
EXPECTED_HTTP_STATUS = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
}


def test_http_status_table_covers_every_grpc_code() -> None:
    assert set(HTTP_STATUS_BY_CODE) == set(grpc.StatusCode)
    assert {code.name for code in grpc.StatusCode} == set(EXPECTED_HTTP_STATUS)


@pytest.mark.parametrize("code", list(grpc.StatusCode), ids=lambda code: code.name)
def test_http_status_for_matches_grpc_gateway(code: grpc.StatusCode) -> None:
    assert http_status_for(code) == EXPECTED_HTTP_STATUS[code.name]


@pytest.mark.parametrize("http_status", [400, 401, 403, 404, 409, 429, 499, 500, 501, 503, 504])
def test_code_for_http_status_round_trips_through_the_table(http_status: int) -> None:
    assert http_status_for(code_for_http_status(http_status)) == http_status


@pytest.mark.parametrize(
    ("http_status", "code"),
    [
        (405, grpc.StatusCode.UNIMPLEMENTED),
        (413, grpc.StatusCode.RESOURCE_EXHAUSTED),
        (418, grpc.StatusCode.UNKNOWN),
    ],
)
def test_code_for_http_status_http_only_rejections(http_status: int, code: grpc.StatusCode) -> None:
    assert code_for_http_status(http_status) is code


def test_encode_status_is_google_rpc_status_json() -> None:
    body = encode_status(grpc.StatusCode.FAILED_PRECONDITION, "no data yet")

    assert body is not None
    assert json.loads(body) == {"code": 9, "message": "no data yet", "details": []}


def test_encode_status_escapes_lone_surrogates() -> None:
    body = encode_status(grpc.StatusCode.INVALID_ARGUMENT, 'no field named "\udc80"')

    assert body is not None
    assert json.loads(body)["message"] == 'no field named "\\udc80"'


def test_encode_status_unknown_detail_type_is_none() -> None:
    detail = any_pb2.Any(type_url="type.googleapis.com/not.a.Known", value=b"\x08\x01")

    assert encode_status(grpc.StatusCode.INTERNAL, "x", [detail]) is None


def test_status_response_maps_code_to_http_status() -> None:
    response = status_response(grpc.StatusCode.NOT_FOUND, "no SLO 'x'", headers={"X-Extra": "1"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-extra"] == "1"
    assert json.loads(bytes(response.body)) == {"code": 5, "message": "no SLO 'x'", "details": []}


def test_status_response_http_status_override() -> None:
    response = status_response(grpc.StatusCode.UNIMPLEMENTED, "use GET", http_status=405)

    assert response.status_code == 405
    assert json.loads(bytes(response.body))["code"] == 12


def test_status_response_falls_back_when_encoding_fails() -> None:
    detail = any_pb2.Any(type_url="type.googleapis.com/not.a.Known", value=b"")

    response = status_response(grpc.StatusCode.NOT_FOUND, "x", details=[detail])

    assert response.status_code == 500
    assert response.body == FALLBACK_BODY
    assert json.loads(FALLBACK_BODY) == {"code": 13, "message": "failed to encode the error", "details": []}


def test_status_error_carries_code_and_message() -> None:
    error = StatusError(grpc.StatusCode.INVALID_ARGUMENT, "bad limit")

    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert error.message == "bad limit"
    assert str(error) == "bad limit"
