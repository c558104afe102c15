"""Republish gRPC servicers as JSON REST by reading the `google.api.http` rules of their descriptors.

grpc-gateway semantics without a generated gateway: every method with an http rule becomes a
route, its path variables, body and query parameters fill the request message, the servicer is
awaited exactly as grpc.aio would await it (with a small REST stand-in for the ServicerContext),
and the response, or the error as google.rpc.Status, is written as proto3 JSON. Nothing here
names an aegis endpoint: the contract in proto/ is the only routing table. docs/rest.md lists
every choice (unknown query parameters, bodies, 404 vs 405, trailing slashes...).
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, NoReturn, cast
from urllib.parse import quote, unquote

import grpc
from google.api import annotations_pb2, http_pb2
from google.protobuf import duration_pb2, field_mask_pb2, json_format, message_factory, timestamp_pb2
from google.protobuf.descriptor import (
    Descriptor,
    EnumDescriptor,
    FieldDescriptor,
    MethodDescriptor,
    ServiceDescriptor,
)
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from aegis.api.errors import StatusError, code_for_http_status, status_response
from aegis.api.httprule import PathTemplate, TemplateError, parse_template

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "RestConfigError",
    "RestServicerContext",
    "ServiceBinding",
    "build_rest_app",
]

# gRPC's default limit on a received message: a REST body gets no more room than its gRPC twin.
DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024

FieldPath = tuple[FieldDescriptor, ...]

_INTERNAL_MESSAGE = "internal error"
_MATCH_KEY = "aegis.rest.match"
_ALLOWED_KEY = "aegis.rest.allowed"


# --- Public surface ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceBinding:
    """A gRPC service descriptor and the grpc.aio servicer instance that implements it."""

    descriptor: ServiceDescriptor
    servicer: object


class RestConfigError(ValueError):
    """An http rule that cannot be served (bad template, unknown field, clashing routes...)."""


class _Aborted(Exception):
    """Raised by RestServicerContext.abort; carries the status to answer with."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


class RestServicerContext:
    """The part of grpc.aio.ServicerContext that thin servicers use, backed by an HTTP request.

    Metadata is the HTTP request headers (lower-cased names); there is no deadline over REST, so
    time_remaining() is None. Trailing metadata is accepted and dropped: JSON REST has no trailers.
    """

    def __init__(self, metadata: tuple[tuple[str, str], ...], peer: str) -> None:
        self._metadata = metadata
        self._peer = peer
        self._code: grpc.StatusCode | None = None
        self._details: str | None = None
        self._trailing_metadata: tuple[tuple[str, str | bytes], ...] = ()

    async def abort(
        self,
        code: grpc.StatusCode,
        details: str = "",
        trailing_metadata: Sequence[tuple[str, str | bytes]] = (),
    ) -> NoReturn:
        self._code = code
        self._details = details
        self._trailing_metadata = tuple(trailing_metadata)
        raise _Aborted(code, details)

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def set_details(self, details: str) -> None:
        self._details = details

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def details(self) -> str | None:
        return self._details

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def peer(self) -> str:
        return self._peer

    def time_remaining(self) -> float | None:
        return None

    def cancelled(self) -> bool:
        return False

    def set_trailing_metadata(self, trailing_metadata: Sequence[tuple[str, str | bytes]]) -> None:
        self._trailing_metadata = tuple(trailing_metadata)

    def trailing_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        return self._trailing_metadata


def build_rest_app(
    bindings: Sequence[ServiceBinding],
    *,
    routes: Sequence[BaseRoute] = (),
    logger: logging.Logger | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
) -> Starlette:
    """A Starlette app serving every http-annotated method of `bindings`, plus the extra `routes`.

    Raises RestConfigError at build time for any rule that could not be served, so a broken
    contract stops the server from starting instead of answering 404 forever.
    """
    transcoding = _TranscodingRoute(
        _compile_routes(bindings), logger or logging.getLogger(__name__), max_body_size
    )
    app = Starlette(
        routes=[*routes, transcoding],
        exception_handlers={HTTPException: _http_exception_response, Exception: _unexpected_error_response},
    )
    # A redirect to the slash-less path would make clients resend bodies and hide typos: 404 instead.
    app.router.redirect_slashes = False
    return app


# --- Compiling http rules into routes ----------------------------------------------------------


@dataclass(frozen=True)
class _Rpc:
    name: str
    handler: Callable[[Message, RestServicerContext], Any]
    request_descriptor: Descriptor
    request_class: type[Message]
    response_class: type[Message]


@dataclass(frozen=True)
class _RestRoute:
    """One (HTTP method, path template) pair of an http rule, resolved against the messages."""

    http_method: str  # upper case, or "*" (custom kind "*": any method)
    template: PathTemplate
    rpc: _Rpc
    path_fields: Mapping[str, FieldPath]
    body: FieldPath | None  # None: no body; (): the whole request ("*"); else that field
    response_body: FieldPath  # (): the whole response

    @property
    def label(self) -> str:
        return f"{self.http_method} {self.template}"


_HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _compile_routes(bindings: Sequence[ServiceBinding]) -> list[_RestRoute]:
    routes: list[_RestRoute] = []
    seen: dict[tuple[str, str], _RestRoute] = {}
    for binding in bindings:
        for method in binding.descriptor.methods:
            rules = _http_rules(method)
            if not rules:
                continue
            rpc = _resolve_rpc(method, binding.servicer)
            for rule in rules:
                route = _compile_rule(method, rule, rpc)
                clash = seen.get((route.http_method, route.template.shape))
                if clash is not None:
                    raise RestConfigError(
                        f"{rpc.name}: {route.label} matches the same requests as {clash.label} "
                        f"of {clash.rpc.name}"
                    )
                seen[(route.http_method, route.template.shape)] = route
                routes.append(route)
    return routes


def _http_rules(method: MethodDescriptor) -> list[http_pb2.HttpRule]:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return []
    rule = options.Extensions[annotations_pb2.http]
    for extra in rule.additional_bindings:
        if extra.additional_bindings:
            raise RestConfigError(f"{method.full_name}: additional_bindings cannot be nested")
    return [rule, *rule.additional_bindings]


def _resolve_rpc(method: MethodDescriptor, servicer: object) -> _Rpc:
    if method.client_streaming or method.server_streaming:
        raise RestConfigError(f"{method.full_name}: streaming methods cannot be transcoded to REST")
    handler = getattr(servicer, method.name, None)
    if not callable(handler):
        raise RestConfigError(
            f"{method.full_name}: servicer {type(servicer).__name__} has no method {method.name}"
        )
    return _Rpc(
        name=method.full_name,
        handler=handler,
        request_descriptor=method.input_type,
        request_class=message_factory.GetMessageClass(method.input_type),
        response_class=message_factory.GetMessageClass(method.output_type),
    )


def _compile_rule(method: MethodDescriptor, rule: http_pb2.HttpRule, rpc: _Rpc) -> _RestRoute:
    http_method, path = _pattern(method, rule)
    where = f"{rpc.name} ({http_method} {path!r})"
    try:
        template = parse_template(path)
    except TemplateError as err:
        raise RestConfigError(f"{where}: {err}") from err
    request = method.input_type
    path_fields: dict[str, FieldPath] = {}
    for variable in template.variables:
        field_path = _resolve(request, variable.field_path, where)
        if field_path[-1].is_repeated or not _settable_from_text(field_path[-1]):
            raise RestConfigError(
                f"{where}: path variable {{{variable.field_path}}} must name a singular scalar, enum, "
                "Timestamp, Duration, FieldMask or wrapper field"
            )
        path_fields[variable.field_path] = field_path
    body = _body_path(request, rule.body, where)
    if body is not None and http_method == "GET":
        raise RestConfigError(f"{where}: a GET rule cannot take a body")
    if body:
        for name, field_path in path_fields.items():
            if _overlaps(body, field_path):
                raise RestConfigError(f"{where}: field {name} is bound by both the path and the body")
    response_body = _resolve(method.output_type, rule.response_body, where) if rule.response_body else ()
    return _RestRoute(http_method, template, rpc, path_fields, body, response_body)


def _pattern(method: MethodDescriptor, rule: http_pb2.HttpRule) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        raise RestConfigError(
            f"{method.full_name}: http rule sets none of get, put, post, delete, patch, custom"
        )
    if kind != "custom":
        return kind.upper(), str(getattr(rule, kind))
    custom_kind = rule.custom.kind
    if custom_kind != "*" and not _HTTP_TOKEN.fullmatch(custom_kind):
        raise RestConfigError(f"{method.full_name}: custom http method {custom_kind!r} is not an HTTP token")
    return custom_kind.upper(), rule.custom.path


def _body_path(request: Descriptor, body: str, where: str) -> FieldPath | None:
    if not body:
        return None
    if body == "*":
        return ()
    return _resolve(request, body, where)


def _resolve(message: Descriptor, dotted: str, where: str) -> FieldPath:
    """Proto field names "a.b" -> descriptors; every step but the last must be a singular message."""
    path: list[FieldDescriptor] = []
    current: Descriptor | None = message
    for name in dotted.split("."):
        if current is None or (path and not _is_singular_message(path[-1])):
            raise RestConfigError(
                f"{where}: {'.'.join(f.name for f in path)} is not a singular message field"
            )
        field = current.fields_by_name.get(name)
        if field is None:
            raise RestConfigError(f"{where}: {current.full_name} has no field {name!r}")
        path.append(field)
        current = field.message_type
    return tuple(path)


def _overlaps(a: FieldPath, b: FieldPath) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _dotted(path: FieldPath) -> str:
    return ".".join(field.name for field in path)


# --- Text values (path variables and query parameters) -----------------------------------------

_WRAPPERS = frozenset(
    f"google.protobuf.{name}Value"
    for name in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)
_TIMESTAMP = timestamp_pb2.Timestamp.DESCRIPTOR.full_name
_DURATION = duration_pb2.Duration.DESCRIPTOR.full_name
_FIELD_MASK = field_mask_pb2.FieldMask.DESCRIPTOR.full_name
_TEXT_MESSAGES = _WRAPPERS | {_TIMESTAMP, _DURATION, _FIELD_MASK}

_INTEGERS: Mapping[int, tuple[str, int, int]] = {
    **dict.fromkeys(
        (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32),
        ("int32", -(2**31), 2**31 - 1),
    ),
    **dict.fromkeys(
        (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64),
        ("int64", -(2**63), 2**63 - 1),
    ),
    **dict.fromkeys((FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32), ("uint32", 0, 2**32 - 1)),
    **dict.fromkeys((FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64), ("uint64", 0, 2**64 - 1)),
}
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Infinity|NaN")
_FLOAT32_MAX = 3.4028234663852886e38
# Go's strconv.ParseBool, which grpc-gateway uses for query parameters.
_BOOLS: Mapping[str, bool] = {
    **dict.fromkeys(("true", "True", "TRUE", "t", "T", "1"), True),
    **dict.fromkeys(("false", "False", "FALSE", "f", "F", "0"), False),
}


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _is_singular_message(field: FieldDescriptor) -> bool:
    return field.message_type is not None and not field.is_repeated


def _settable_from_text(field: FieldDescriptor) -> bool:
    """Scalars, enums and the well-known types with a string JSON form; never maps."""
    if _is_map(field):
        return False
    return field.message_type is None or field.message_type.full_name in _TEXT_MESSAGES


def _parse_text(field: FieldDescriptor, text: str) -> object:
    """One path or query string -> a value for `field`; ValueError says what was expected."""
    if field.message_type is not None:
        return _parse_text_message(field.message_type, text)
    if field.enum_type is not None:
        return _parse_enum(field.enum_type, text)
    if field.type == FieldDescriptor.TYPE_STRING:
        return text
    if field.type == FieldDescriptor.TYPE_BOOL:
        if text not in _BOOLS:
            raise ValueError("expected true or false")
        return _BOOLS[text]
    if field.type == FieldDescriptor.TYPE_BYTES:
        return _parse_bytes(text)
    if field.type in _INTEGERS:
        kind, low, high = _INTEGERS[field.type]
        if not _INTEGER_TEXT.fullmatch(text) or not low <= int(text) <= high:
            raise ValueError(f"expected an integer ({kind}, from {low} to {high})")
        return int(text)
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        if not _FLOAT_TEXT.fullmatch(text):
            raise ValueError("expected a number")
        number = float(text)
        if field.type == FieldDescriptor.TYPE_FLOAT and math.isfinite(number) and abs(number) > _FLOAT32_MAX:
            raise ValueError("expected a number within the range of a float")
        return number
    raise ValueError(f"expected nothing: fields of type {field.type} cannot be set from text")


_TEXT_FORMS: Mapping[str, str] = {
    _TIMESTAMP: "an RFC 3339 timestamp such as 2024-05-01T12:00:00Z",
    _DURATION: "a duration in seconds such as 1.5s",
    _FIELD_MASK: "comma-separated field paths",
}


def _parse_text_message(descriptor: Descriptor, text: str) -> Message:
    """Timestamp, Duration, FieldMask from their JSON strings; wrappers from their inner scalar.

    The instance comes from the field's own descriptor pool: a message of another pool (say
    timestamp_pb2.Timestamp for a Timestamp field built in a private pool) cannot be copied in.
    """
    name = descriptor.full_name
    message: Any = message_factory.GetMessageClass(descriptor)()
    if name in _TEXT_FORMS:
        try:
            message.FromJsonString(text)
        except ValueError:
            raise ValueError(f"expected {_TEXT_FORMS[name]}") from None
    elif name in _WRAPPERS:
        message.value = _parse_text(descriptor.fields_by_name["value"], text)
    else:
        raise ValueError(f"expected nothing: {name} cannot be set from text")
    return cast(Message, message)


def _parse_enum(enum: EnumDescriptor, text: str) -> int:
    by_name = enum.values_by_name.get(text)
    if by_name is not None:
        return by_name.number
    if _INTEGER_TEXT.fullmatch(text) and int(text) in enum.values_by_number:
        return int(text)
    names = ", ".join(value.name for value in enum.values)
    raise ValueError(f"expected one of {names} (or its number)")


def _parse_bytes(text: str) -> bytes:
    standard = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except binascii.Error:
        raise ValueError("expected base64 (standard or URL-safe)") from None


def _assign(message: Message, path: FieldPath, texts: Sequence[str]) -> None:
    """Set the field at `path` from text; ValueError says what was expected and what came."""
    target: Any = message
    for field in path[:-1]:
        target = getattr(target, field.name)
    leaf = path[-1]
    values: list[object] = []
    for text in texts:
        try:
            values.append(_parse_text(leaf, text))
        except ValueError as err:
            raise ValueError(f"{err}, got {text!r}") from None
    oneof = leaf.containing_oneof
    if oneof is not None and target.WhichOneof(oneof.name) not in (None, leaf.name):
        raise ValueError(f"cannot be set together with {target.WhichOneof(oneof.name)} (oneof {oneof.name})")
    if leaf.is_repeated:
        container = getattr(target, leaf.name)
        for value in values:
            if isinstance(value, Message):
                container.add().CopyFrom(value)
            else:
                container.append(value)
    elif isinstance(values[0], Message):
        getattr(target, leaf.name).CopyFrom(values[0])
    else:
        setattr(target, leaf.name, values[0])


# --- Building the request message --------------------------------------------------------------


def _invalid(message: str) -> StatusError:
    return StatusError(grpc.StatusCode.INVALID_ARGUMENT, message)


async def _build_request(
    route: _RestRoute, variables: Mapping[str, str], request: Request, max_body_size: int
) -> Message:
    """Body first, then path variables, then query parameters; none may set what another binds."""
    message = route.rpc.request_class()
    _apply_body(route, message, await _read_body(request, max_body_size), request.headers.get("content-type"))
    for name, value in variables.items():
        try:
            _assign(message, route.path_fields[name], [value])
        except ValueError as err:
            raise _invalid(f"invalid path variable {{{name}}}: {err}") from None
    _apply_query(route, message, request.query_params.multi_items())
    return message


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past `limit` bytes (declared or streamed) without reading it all."""
    too_large = StatusError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"the request body is larger than {limit} bytes",
        http_status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _apply_body(route: _RestRoute, message: Message, raw: bytes, content_type: str | None) -> None:
    if route.body is None:
        if raw.strip():
            raise _invalid(f"{route.label} takes no request body")
        return
    document = _decode_json(raw, content_type)
    if route.body == ():
        document = {} if document is _NO_BODY else document
        if not isinstance(document, dict):
            raise _invalid(f"the request body must be a JSON object, got {_json_kind(document)}")
        for name, path in route.path_fields.items():
            if _json_sets(document, path):
                raise _invalid(f"the request body sets {name}, which the path already binds; leave it out")
        _parse_json_into(document, message)
        return
    if document is _NO_BODY:
        return
    parent: Any = message
    for field in route.body[:-1]:
        parent = getattr(parent, field.name)
    _parse_json_into({route.body[-1].json_name: document}, parent)


_NO_BODY = object()


class _RejectedJsonError(ValueError):
    pass


def _decode_json(raw: bytes, content_type: str | None) -> object:
    """The parsed body, or _NO_BODY when it is empty; StatusError for anything but a JSON document."""
    if not raw.strip():
        return _NO_BODY
    if content_type is not None and not _is_json_media_type(content_type):
        raise _invalid(f"unsupported Content-Type {content_type!r}: send application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid("the request body is not valid UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise _invalid(f"the request body is not valid JSON: {err}") from None
    except _RejectedJsonError as err:
        raise _invalid(f"the request body is not valid: {err}") from None
    except RecursionError:
        raise _invalid("the request body is nested too deeply") from None


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    document: dict[str, object] = {}
    for key, value in pairs:
        if key in document:
            raise _RejectedJsonError(f"key {key!r} appears twice in one object")
        document[key] = value
    return document


def _reject_constant(name: str) -> NoReturn:
    raise _RejectedJsonError(f'{name} is not JSON; write numbers like NaN as strings ("NaN")')


def _is_json_media_type(content_type: str) -> bool:
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return False
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def _json_kind(document: object) -> str:
    if isinstance(document, list):
        return "an array"
    if isinstance(document, str):
        return "a string"
    if isinstance(document, bool):
        return "a boolean"
    if isinstance(document, (int, float)):
        return "a number"
    return "null"


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


def _apply_query(route: _RestRoute, message: Message, items: Sequence[tuple[str, str]]) -> None:
    if not items:
        return
    if route.body == ():
        raise _invalid(
            f"unknown query parameter {items[0][0]!r}: {route.label} reads the whole request from the body"
        )
    bound = [(path, "the path") for path in route.path_fields.values()]
    if route.body is not None:
        bound.append((route.body, "the request body"))
    grouped: dict[FieldPath, list[tuple[str, str]]] = {}
    for key, value in items:
        path = _query_field(route.rpc.request_descriptor, key)
        for bound_path, binder in bound:
            if _overlaps(path, bound_path):
                raise _invalid(f"query parameter {key!r} sets {_dotted(path)}, which {binder} already binds")
        grouped.setdefault(path, []).append((key, value))
    for path, pairs in grouped.items():
        keys = ", ".join(dict.fromkeys(repr(key) for key, _ in pairs))
        if len(pairs) > 1 and not path[-1].is_repeated:
            raise _invalid(
                f"field {_dotted(path)} is set {len(pairs)} times by query parameters {keys}, "
                "but it holds a single value"
            )
        try:
            _assign(message, path, [value for _, value in pairs])
        except ValueError as err:
            raise _invalid(f"invalid query parameter {keys}: {err}") from None


def _query_field(message: Descriptor, key: str) -> FieldPath:
    """A query key ("sloID", "slo_id", "sli.type") -> its field path; StatusError when unknown."""
    path: list[FieldDescriptor] = []
    current = message
    parts = key.split(".")
    for index, part in enumerate(parts):
        field = next((f for f in current.fields if part in (f.name, f.json_name)), None)
        if field is None:
            names = ", ".join(f.json_name for f in current.fields)
            raise _invalid(f"unknown query parameter {key!r} ({current.name} has: {names})")
        path.append(field)
        if index < len(parts) - 1:
            nested = field.message_type
            if nested is None or field.is_repeated or nested.full_name in _TEXT_MESSAGES:
                raise _invalid(f"unknown query parameter {key!r}: {part} has no fields to set")
            current = nested
    leaf = path[-1]
    if _is_map(leaf):
        raise _invalid(f"query parameter {key!r}: map fields cannot be set from the query string")
    if not _settable_from_text(leaf):
        nested = leaf.message_type
        example = nested.fields[0].json_name if nested is not None and nested.fields else "field"
        raise _invalid(
            f"query parameter {key!r} names a message: set its fields instead, e.g. {key}.{example}"
        )
    return tuple(path)


# --- Calling the servicer and writing the response ---------------------------------------------


def _to_json(message: Message) -> dict[str, Any]:
    """proto3 JSON with json names, enum names, and false/0/[] printed (clients need not guess)."""
    return json_format.MessageToDict(
        message,
        always_print_fields_with_no_presence=True,
        preserving_proto_field_name=False,
        use_integers_for_enums=False,
    )


def _render(response: Message, path: FieldPath) -> object:
    """The JSON value of the whole response, or of its `response_body` field."""
    if not path:
        return _to_json(response)
    parent: Any = response
    for field in path[:-1]:
        parent = getattr(parent, field.name)
    leaf = path[-1]
    if _is_singular_message(leaf):
        return _to_json(getattr(parent, leaf.name))
    return _to_json(parent).get(leaf.json_name)


def _context_for(request: Request) -> RestServicerContext:
    metadata = tuple(
        (name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in request.headers.raw
    )
    client = request.client
    if client is None:
        peer = "unknown"
    elif ":" in client.host:
        peer = f"ipv6:[{client.host}]:{client.port}"
    else:
        peer = f"ipv4:{client.host}:{client.port}"
    return RestServicerContext(metadata, peer)


class _TranscodingRoute(BaseRoute):
    """Every transcoded route in one Starlette route, so 405 can list all methods of a path."""

    def __init__(self, routes: Sequence[_RestRoute], logger: logging.Logger, max_body_size: int) -> None:
        self._routes = tuple(routes)
        self._logger = logger
        self._max_body_size = max_body_size

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path = _raw_route_path(scope)
        allowed: list[str] = []
        for route in self._routes:  # declaration order: the first matching template wins
            variables = route.template.match(path)
            if variables is None:
                continue
            if route.http_method in ("*", scope["method"]):
                return Match.FULL, {_MATCH_KEY: (route, variables)}
            allowed.append(route.http_method)
        if allowed:
            return Match.PARTIAL, {_ALLOWED_KEY: tuple(dict.fromkeys(allowed))}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        matched: tuple[_RestRoute, dict[str, str]] | None = scope.get(_MATCH_KEY)
        if matched is None:
            allowed = ", ".join(scope[_ALLOWED_KEY])
            response = status_response(
                grpc.StatusCode.UNIMPLEMENTED,
                f"method {request.method} is not allowed on {request.url.path}; allowed: {allowed}",
                http_status=HTTPStatus.METHOD_NOT_ALLOWED,
                headers={"Allow": allowed},
            )
        else:
            response = await self._serve(*matched, request)
        await response(scope, receive, send)

    async def _serve(self, route: _RestRoute, variables: Mapping[str, str], request: Request) -> Response:
        try:
            message = await _build_request(route, variables, request, self._max_body_size)
        except StatusError as err:
            return status_response(err.code, err.message, http_status=err.http_status)
        return await self._invoke(route.rpc, message, route.response_body, _context_for(request))

    async def _invoke(
        self, rpc: _Rpc, message: Message, response_body: FieldPath, context: RestServicerContext
    ) -> Response:
        """Await the servicer with grpc.aio's rules for codes set on the context."""
        try:
            result = rpc.handler(message, context)
            if inspect.isawaitable(result):
                result = await result
        except _Aborted as aborted:
            if aborted.code == grpc.StatusCode.OK:
                self._logger.error("%s called abort() with OK; answering INTERNAL", rpc.name)
                return status_response(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)
            return status_response(aborted.code, aborted.details or "")
        except Exception:
            code = context.code()
            if code is not None and code != grpc.StatusCode.OK:
                # grpc.aio honours a code set before raising (the generated stubs do this).
                self._logger.info("%s raised after setting %s", rpc.name, code.name, exc_info=True)
                return status_response(code, context.details() or "")
            self._logger.exception("%s failed over REST", rpc.name)
            return status_response(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)
        code = context.code()
        if code is not None and code != grpc.StatusCode.OK:
            return status_response(code, context.details() or "")
        if not isinstance(result, rpc.response_class):
            self._logger.error(
                "%s returned %s instead of %s", rpc.name, type(result).__name__, rpc.response_class.__name__
            )
            return status_response(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)
        try:
            return JSONResponse(_render(result, response_body))
        except Exception:
            self._logger.exception("%s: cannot encode the response as JSON", rpc.name)
            return status_response(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)


_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _raw_route_path(scope: Scope) -> str:
    """The path below root_path, still percent-encoded, so "%2F" inside a value is not a "/".

    Uses raw_path when it agrees with the decoded path; otherwise re-encodes the decoded path.
    """
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) :].startswith("/"):
        path = path[len(root) :]
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        text = raw.decode("latin-1")
        quoted_root = quote(root, safe=_PATH_SAFE)
        if root and text.startswith(quoted_root):
            text = text[len(quoted_root) :]
        if unquote(text) == path:
            return text
    return quote(path, safe=_PATH_SAFE)


# --- Errors outside the transcoded routes ------------------------------------------------------


def _http_exception_response(request: Request, exc: Exception) -> Response:
    """Starlette's own rejections (no route: 404; 405 on an extra route) as Status JSON."""
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for HTTPException only
        raise exc
    message = exc.detail
    if exc.status_code == HTTPStatus.NOT_FOUND and message == HTTPStatus.NOT_FOUND.phrase:
        message = f"no route matches {request.method} {request.url.path}"
    return status_response(
        code_for_http_status(exc.status_code),
        message,
        http_status=exc.status_code,
        headers=exc.headers,
    )


def _unexpected_error_response(request: Request, exc: Exception) -> Response:
    """A crash in an extra route: Status JSON without details (the server logs the traceback)."""
    return status_response(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)
