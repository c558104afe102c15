"""THE one mapping between gRPC status codes and HTTP statuses, and google.rpc.Status error bodies.

Every REST error answers with the JSON form of google.rpc.Status, the body grpc-gateway and
Google APIs use, so a client reads one shape whatever went wrong:

    {"code": 3, "message": "unknown query parameter 'limt'", "details": []}

`code` is the numeric gRPC code; the HTTP status comes from HTTP_STATUS_BY_CODE. Only a rejection
that happens before any RPC is chosen (an HTTP-level one, such as 405 Method Not Allowed) carries
an HTTP status of its own; `code_for_http_status` gives the gRPC code such a body reports.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from types import MappingProxyType

import grpc
from google.protobuf import any_pb2, json_format
from google.rpc import status_pb2
from starlette.responses import Response

__all__ = [
    "FALLBACK_BODY",
    "HTTP_STATUS_BY_CODE",
    "JSON_MEDIA_TYPE",
    "StatusError",
    "code_for_http_status",
    "encode_status",
    "http_status_for",
    "status_response",
]

_LOGGER = logging.getLogger(__name__)

JSON_MEDIA_TYPE = "application/json"

# grpc-gateway's HTTPStatusFromCode, one line per code; the test fails when grpc adds a code.
HTTP_STATUS_BY_CODE: Mapping[grpc.StatusCode, int] = MappingProxyType(
    {
        grpc.StatusCode.OK: 200,
        # 499 is nginx's "Client Closed Request": the caller gave up, nothing failed on our side.
        grpc.StatusCode.CANCELLED: 499,
        grpc.StatusCode.UNKNOWN: 500,
        grpc.StatusCode.INVALID_ARGUMENT: 400,
        grpc.StatusCode.DEADLINE_EXCEEDED: 504,
        grpc.StatusCode.NOT_FOUND: 404,
        grpc.StatusCode.ALREADY_EXISTS: 409,
        grpc.StatusCode.PERMISSION_DENIED: 403,
        grpc.StatusCode.UNAUTHENTICATED: 401,
        grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
        # Surprising but deliberate (grpc-gateway, Google AIP-193): the request is valid in form
        # but the system is not in a state to run it, which the client must fix first. 412
        # Precondition Failed is about HTTP conditional headers, which is a different thing.
        grpc.StatusCode.FAILED_PRECONDITION: 400,
        # A concurrency conflict (e.g. a read-modify-write race): retry at a higher level.
        grpc.StatusCode.ABORTED: 409,
        # Past a valid range, e.g. a page beyond the end: a client error, not 416 (byte ranges).
        grpc.StatusCode.OUT_OF_RANGE: 400,
        grpc.StatusCode.UNIMPLEMENTED: 501,
        grpc.StatusCode.INTERNAL: 500,
        grpc.StatusCode.UNAVAILABLE: 503,
        # Unrecoverable data loss is a server fault with no more specific HTTP status.
        grpc.StatusCode.DATA_LOSS: 500,
    }
)

# HTTP-level rejections -> the gRPC code their Status body reports. Where an HTTP status is the
# image of several codes above (409, 400, 500) the most general code is chosen.
_CODE_BY_HTTP_STATUS: Mapping[int, grpc.StatusCode] = MappingProxyType(
    {
        400: grpc.StatusCode.INVALID_ARGUMENT,
        401: grpc.StatusCode.UNAUTHENTICATED,
        403: grpc.StatusCode.PERMISSION_DENIED,
        404: grpc.StatusCode.NOT_FOUND,
        # The path exists but not for this method: grpc-gateway answers 405 with UNIMPLEMENTED.
        405: grpc.StatusCode.UNIMPLEMENTED,
        409: grpc.StatusCode.ABORTED,
        # A body over the limit: a gRPC server says RESOURCE_EXHAUSTED for an oversized message.
        413: grpc.StatusCode.RESOURCE_EXHAUSTED,
        429: grpc.StatusCode.RESOURCE_EXHAUSTED,
        499: grpc.StatusCode.CANCELLED,
        500: grpc.StatusCode.INTERNAL,
        501: grpc.StatusCode.UNIMPLEMENTED,
        503: grpc.StatusCode.UNAVAILABLE,
        504: grpc.StatusCode.DEADLINE_EXCEEDED,
    }
)

# What a client gets when even the error cannot be encoded (grpc-gateway does the same).
FALLBACK_BODY = b'{"code":13,"message":"failed to encode the error","details":[]}'


class StatusError(Exception):
    """A request the transcoder rejects before calling any servicer, with the code to answer.

    `http_status` is set only for HTTP-level rejections (e.g. 413 for an oversized body);
    otherwise the status comes from the table.
    """

    def __init__(self, code: grpc.StatusCode, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


def http_status_for(code: grpc.StatusCode) -> int:
    return HTTP_STATUS_BY_CODE[code]


def code_for_http_status(http_status: int) -> grpc.StatusCode:
    """The gRPC code for an HTTP-level rejection; UNKNOWN where no canonical code exists."""
    return _CODE_BY_HTTP_STATUS.get(http_status, grpc.StatusCode.UNKNOWN)


def encode_status(code: grpc.StatusCode, message: str, details: Sequence[any_pb2.Any] = ()) -> bytes | None:
    """google.rpc.Status as JSON bytes, or None when it cannot be encoded (e.g. an unknown detail type).

    Lone surrogates (which `json.loads` lets into a str from "\\udc80") are escaped rather than
    turning a client's bad input into an encoding failure.
    """
    safe_message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    try:
        status = status_pb2.Status(code=code.value[0], message=safe_message, details=list(details))
        payload = json_format.MessageToDict(status, always_print_fields_with_no_presence=True)
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except Exception:
        _LOGGER.exception("cannot encode a google.rpc.Status for %s: %r", code.name, message)
        return None


def status_response(
    code: grpc.StatusCode,
    message: str,
    *,
    http_status: int | None = None,
    headers: Mapping[str, str] | None = None,
    details: Sequence[any_pb2.Any] = (),
) -> Response:
    """The REST error response: Status JSON with the mapped HTTP status (or `http_status`).

    Falls back to FALLBACK_BODY with 500 when the Status cannot be encoded, so an error path can
    never turn into a traceback.
    """
    body = encode_status(code, message, details)
    if body is None:
        return Response(
            FALLBACK_BODY, status_code=HTTPStatus.INTERNAL_SERVER_ERROR, media_type=JSON_MEDIA_TYPE
        )
    status = http_status if http_status is not None else http_status_for(code)
    return Response(body, status_code=status, headers=dict(headers or {}), media_type=JSON_MEDIA_TYPE)
