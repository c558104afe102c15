"""Field paths and text values: what a path variable or query parameter sets, parsed by its type.

grpc-gateway's rules for text: `?limit=20`, `?decision=BLOCK`, `?startTime=2024-05-01T00:00:00Z`,
`?sli.type=latency`, bytes as base64 (standard or URL-safe), booleans as Go's ParseBool reads them.
A value that does not fit its field is a ValueError that says what was expected.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from google.protobuf import duration_pb2, field_mask_pb2, message_factory, timestamp_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from aegis.api.echo import echo

__all__ = [
    "TEXT_MESSAGES",
    "FieldPath",
    "assign",
    "dotted",
    "is_map",
    "is_singular_message",
    "overlaps",
    "settable_from_text",
]

# Proto fields from the request message down to the one a value lands in: `sli.type` is two.
FieldPath = tuple[FieldDescriptor, ...]


def overlaps(a: FieldPath, b: FieldPath) -> bool:
    """True when one path is a prefix of the other: setting one would set (part of) the other."""
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def dotted(path: FieldPath) -> str:
    return ".".join(field.name for field in path)


_WRAPPERS = frozenset(
    f"google.protobuf.{name}Value"
    for name in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)
_TIMESTAMP = timestamp_pb2.Timestamp.DESCRIPTOR.full_name
_DURATION = duration_pb2.Duration.DESCRIPTOR.full_name
_FIELD_MASK = field_mask_pb2.FieldMask.DESCRIPTOR.full_name
TEXT_MESSAGES = _WRAPPERS | {_TIMESTAMP, _DURATION, _FIELD_MASK}

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


def is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def is_singular_message(field: FieldDescriptor) -> bool:
    return field.message_type is not None and not field.is_repeated


def settable_from_text(field: FieldDescriptor) -> bool:
    """Scalars, enums and the well-known types with a string JSON form; never maps."""
    if is_map(field):
        return False
    return field.message_type is None or field.message_type.full_name in TEXT_MESSAGES


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


def assign(message: Message, path: FieldPath, texts: Sequence[str]) -> None:
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
