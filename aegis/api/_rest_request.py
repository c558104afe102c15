"""From an HTTP request to the request message: body, path variables and query parameters.

The body is strict JSON (``_rest_json``), path variables and query parameters are text parsed by
the type of the field they set (``_rest_text``, ``_rest_query``). Every rejection is a StatusError
(400 INVALID_ARGUMENT, 413 for an oversized body) that names the parameter or field, what was
expected and what came. docs/rest.md lists each decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from starlette.requests import ClientDisconnect, Request

from aegis.api._rest_binding import RequestBinding
from aegis.api._rest_json import NO_BODY, decode_json, json_kind
from aegis.api._rest_query import apply_query
from aegis.api._rest_text import FieldPath, assign
from aegis.api.errors import StatusError

__all__ = ["ParsedRequests", "build_request"]


def _invalid(message: str) -> StatusError:
    return StatusError(grpc.StatusCode.INVALID_ARGUMENT, message)


class ParsedRequests:
    """Request messages built before, by the bytes they were built from: parse a body once.

    A deployment pipeline polls the gate with the same body again and again; parsing strict JSON
    into a message costs more than the rest of a cached decision. A hit is the serialized message
    of an earlier request with the same route, body, path and query, which only a request that
    was valid could have left. Small requests only, and a bounded number (oldest out first).
    """

    def __init__(self, capacity: int = 1024, max_request_bytes: int = 2048) -> None:
        self._capacity = capacity
        self._max_request_bytes = max_request_bytes
        self._built: dict[tuple[object, ...], bytes] = {}

    def key(
        self, label: str, raw: bytes, variables: Mapping[str, str], query: bytes
    ) -> tuple[object, ...] | None:
        if len(raw) + len(query) > self._max_request_bytes:
            return None
        return (label, raw, tuple(variables.items()), query)

    def get(self, key: tuple[object, ...]) -> bytes | None:
        return self._built.get(key)

    def put(self, key: tuple[object, ...], serialized: bytes) -> None:
        if len(self._built) >= self._capacity:
            del self._built[next(iter(self._built))]
        self._built[key] = serialized


async def build_request(
    binding: RequestBinding,
    variables: Mapping[str, str],
    request: Request,
    max_body_size: int,
    parsed: ParsedRequests | None = None,
) -> Message:
    """Body first, then path variables, then query parameters; none may set what another binds."""
    raw = await _read_body(request, max_body_size)
    query: bytes = request.scope.get("query_string", b"")
    key = parsed.key(binding.label, raw, variables, query) if parsed is not None else None
    if key is not None:
        assert parsed is not None
        built = parsed.get(key)
        if built is not None:
            message = binding.message_class()
            message.ParseFromString(built)
            return message
    message = binding.message_class()
    _apply_body(binding, message, raw, request.headers.get("content-type"))
    for name, value in variables.items():
        try:
            assign(message, binding.path_fields[name], [value])
        except ValueError as err:
            raise _invalid(f"invalid path variable {{{name}}}: {err}") from None
    if query:
        apply_query(binding, message, request.query_params.multi_items())
    if key is not None:
        assert parsed is not None
        parsed.put(key, message.SerializeToString())
    return message


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past `limit` bytes (declared or streamed) without reading it all.

    Straight from the ASGI messages: Starlette's Request.stream() builds the header mapping and
    its own state for every request, which costs more than a cached decision's whole answer.
    """
    too_large = StatusError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"the request body is larger than {limit} bytes",
        http_status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    )
    declared = next((value for name, value in request.scope["headers"] if name == b"content-length"), b"")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _apply_body(binding: RequestBinding, message: Message, raw: bytes, content_type: str | None) -> None:
    if binding.body is None:
        if raw.strip():
            raise _invalid(f"{binding.label} takes no request body")
        return
    document = decode_json(raw, content_type)
    if binding.body == ():
        document = {} if document is NO_BODY else document
        if not isinstance(document, dict):
            raise _invalid(f"the request body must be a JSON object, got {json_kind(document)}")
        for name, path in binding.path_fields.items():
            if _json_sets(document, path):
                raise _invalid(f"the request body sets {name}, which the path already binds; leave it out")
        _parse_json_into(document, message)
        return
    if document is NO_BODY:
        return
    parent: Any = message
    for field in binding.body[:-1]:
        parent = getattr(parent, field.name)
    _parse_json_into({binding.body[-1].json_name: document}, parent)


def _json_sets(document: dict[str, object], path: FieldPath) -> bool:
    node: object = document
    for field in path:
        if not isinstance(node, dict):
            return False
        key = field.json_name if field.json_name in node else field.name
        if key not in node:
            return False
        node = node[key]
    return True


def _parse_json_into(document: dict[str, Any], message: Message) -> None:
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=False)
    except json_format.ParseError as err:
        raise _invalid(f"invalid request body: {' '.join(str(err).split())}") from None
    except Exception as err:  # ParseDict lets TypeError & co. through on odd shapes; Parse wraps them too.
        raise _invalid(f"invalid request body: {type(err).__name__}: {err}") from None
