"""From an HTTP request to the request message: body, path variables and query parameters.

The body is strict JSON (UTF-8, no duplicate keys, no NaN literals, no unknown fields), whatever
its Content-Type says; path variables and query parameters are text parsed by the type of the
field they set (grpc-gateway's rules: `?limit=20`, `?decision=BLOCK`,
`?startTime=2024-05-01T00:00:00Z`, `?sli.type=latency`).
Every rejection is a StatusError (400 INVALID_ARGUMENT, 413 for an oversized body) that names
the parameter or field, what was expected and what came. docs/rest.md lists each decision.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, NoReturn, cast

import grpc
from google.protobuf import duration_pb2, field_mask_pb2, json_format, message_factory, timestamp_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from starlette.requests import Request

from aegis.api.echo import echo
from aegis.api.errors import StatusError

__all__ = [
    "FieldPath",
    "RequestBinding",
    "build_request",
    "is_singular_message",
    "overlaps",
    "settable_from_text",
]

# Proto fields from the request message down to the one a value lands in: `sli.type` is two.
FieldPath = tuple[FieldDescriptor, ...]


@dataclass(frozen=True)
class RequestBinding:
    """Where each part of an HTTP request goes in the request message of one route."""

    label: str  # "GET /v1/slo/{id}": names the route in error messages
    descriptor: Descriptor  # of the request message
    message_class: type[Message]
    path_fields: Mapping[str, FieldPath]  # path variable name -> the field it sets
    body: FieldPath | None  # None: no body; (): the whole request ("*"); else that field


def overlaps(a: FieldPath, b: FieldPath) -> bool:
    """True when one path is a prefix of the other: setting one would set (part of) the other."""
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


def is_singular_message(field: FieldDescriptor) -> bool:
    return field.message_type is not None and not field.is_repeated


def settable_from_text(field: FieldDescriptor) -> bool:
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
            raise ValueError(f"{err}, got {echo(text)}") from None
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


async def build_request(
    binding: RequestBinding, variables: Mapping[str, str], request: Request, max_body_size: int
) -> Message:
    """Body first, then path variables, then query parameters; none may set what another binds."""
    message = binding.message_class()
    _apply_body(
        binding, message, await _read_body(request, max_body_size), request.headers.get("content-type")
    )
    for name, value in variables.items():
        try:
            _assign(message, binding.path_fields[name], [value])
        except ValueError as err:
            raise _invalid(f"invalid path variable {{{name}}}: {err}") from None
    _apply_query(binding, message, request.query_params.multi_items())
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


def _apply_body(binding: RequestBinding, message: Message, raw: bytes, content_type: str | None) -> None:
    if binding.body is None:
        if raw.strip():
            raise _invalid(f"{binding.label} takes no request body")
        return
    document = _decode_json(raw, content_type)
    if binding.body == ():
        document = {} if document is _NO_BODY else document
        if not isinstance(document, dict):
            raise _invalid(f"the request body must be a JSON object, got {_json_kind(document)}")
        for name, path in binding.path_fields.items():
            if _json_sets(document, path):
                raise _invalid(f"the request body sets {name}, which the path already binds; leave it out")
        _parse_json_into(document, message)
        return
    if document is _NO_BODY:
        return
    parent: Any = message
    for field in binding.body[:-1]:
        parent = getattr(parent, field.name)
    _parse_json_into({binding.body[-1].json_name: document}, parent)


_NO_BODY = object()


class _RejectedJsonError(ValueError):
    pass


def _decode_json(raw: bytes, content_type: str | None) -> object:
    """The parsed body, or _NO_BODY when it is empty; StatusError for anything but a JSON document.

    Lenient about the label, strict about the content: a body that is JSON is read as JSON
    whatever its Content-Type (as grpc-gateway's default marshaler does), so that
    `curl -d '{"sloID": "x"}'`, which labels it a form, works. The Content-Type only helps
    explain a body that is not JSON.
    """
    if not raw.strip():
        return _NO_BODY
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid(f"the request body is not valid UTF-8{_label_hint(content_type)}") from None
    try:
        return json.loads(
            text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant, parse_int=_parse_int
        )
    except json.JSONDecodeError as err:
        raise _invalid(f"the request body is not valid JSON: {err}{_label_hint(content_type)}") from None
    except _RejectedJsonError as err:
        raise _invalid(f"the request body is not valid: {err}") from None
    except ValueError as err:  # anything else json's number conversion may raise
        raise _invalid(f"the request body is not valid: {echo(str(err))}") from None
    except RecursionError:
        raise _invalid("the request body is nested too deeply") from None


def _label_hint(content_type: str | None) -> str:
    """Why a form or text body failed: the API reads JSON only, whatever the label says."""
    if content_type is None or _is_json_media_type(content_type):
        return ""
    label = echo(content_type)
    return f" (it was sent as {label}; request bodies are read as JSON, whatever the Content-Type)"


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    document: dict[str, object] = {}
    for key, value in pairs:
        if key in document:
            raise _RejectedJsonError(f"key {echo(key)} appears twice in one object")
        document[key] = value
    return document


# No protobuf integer has more digits than this (uint64's 20, and a sign).
_MAX_INTEGER_CHARS = 21


def _parse_int(text: str) -> int | float:
    """A JSON integer; a longer one than any protobuf integer becomes a float.

    int() of more than 4,300 digits raises ValueError (CPython's guard against quadratic
    conversion), which made a huge number in a body a 500. As a float it is still a valid double
    (possibly infinite), and json_format refuses it for an integer field: a 400 either way.
    """
    if len(text) <= _MAX_INTEGER_CHARS:
        return int(text)
    return float(text)


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


def _apply_query(binding: RequestBinding, message: Message, items: Sequence[tuple[str, str]]) -> None:
    if not items:
        return
    if binding.body == ():
        raise _invalid(
            f"unknown query parameter {echo(items[0][0])}: "
            f"{binding.label} reads the whole request from the body"
        )
    bound = [(path, "the path") for path in binding.path_fields.values()]
    if binding.body is not None:
        bound.append((binding.body, "the request body"))
    grouped: dict[FieldPath, list[tuple[str, str]]] = {}
    for key, value in items:
        path = _query_field(binding.descriptor, key)
        for bound_path, binder in bound:
            if overlaps(path, bound_path):
                raise _invalid(
                    f"query parameter {echo(key)} sets {_dotted(path)}, which {binder} already binds"
                )
        grouped.setdefault(path, []).append((key, value))
    for path, pairs in grouped.items():
        keys = ", ".join(dict.fromkeys(echo(key) for key, _ in pairs))
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
            raise _invalid(f"unknown query parameter {echo(key)} ({current.name} has: {names})")
        path.append(field)
        if index < len(parts) - 1:
            nested = field.message_type
            if nested is None or field.is_repeated or nested.full_name in _TEXT_MESSAGES:
                raise _invalid(f"unknown query parameter {echo(key)}: {part[:40]} has no fields to set")
            current = nested
    leaf = path[-1]
    if _is_map(leaf):
        raise _invalid(f"query parameter {echo(key)}: map fields cannot be set from the query string")
    if not settable_from_text(leaf):
        nested = leaf.message_type
        example = nested.fields[0].json_name if nested is not None and nested.fields else "field"
        raise _invalid(
            f"query parameter {echo(key)} names a message: "
            f"set its fields instead, e.g. {echo(key)[1:-1]}.{example}"
        )
    return tuple(path)
