"""The response message as proto3 JSON, its fields in the order the proto declares them.

json_format prints the fields that are set first and the defaults after them, so the same
message type would list its keys in a different order from one response to the next. A person
reading `curl` output, and the README's examples, expect the contract's order, so every JSON
object of a message is rebuilt in descriptor order, at every depth (inside lists and maps too).
Map keys stay in the order json_format prints them (protobuf maps have no declared order), and
well-known types keep their own JSON forms (a Timestamp is a string, a Struct an arbitrary
object, an Any its `@type` first).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

__all__ = ["json_bytes", "render", "to_json"]

# The messages with a JSON form of their own in the proto3 JSON mapping: nothing to reorder.
_OWN_JSON_FORM = frozenset(
    f"google.protobuf.{name}"
    for name in (
        "Any",
        "Duration",
        "FieldMask",
        "ListValue",
        "Struct",
        "Timestamp",
        "Value",
        *(
            f"{kind}Value"
            for kind in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
        ),
    )
)


def to_json(message: Message) -> object:
    """proto3 JSON with json names, enum names, and false/0/[] printed (clients need not guess)."""
    document = json_format.MessageToDict(
        message,
        always_print_fields_with_no_presence=True,
        preserving_proto_field_name=False,
        use_integers_for_enums=False,
    )
    # The stubs type DESCRIPTOR as either of two classes that are one and the same at runtime.
    return _in_field_order(cast(Descriptor, message.DESCRIPTOR), document)


def render(response: Message, path: Sequence[FieldDescriptor]) -> object:
    """The JSON value of the whole response, or of its `response_body` field at `path`."""
    if not path:
        return to_json(response)
    parent: Any = response
    for field in path[:-1]:
        parent = getattr(parent, field.name)
    leaf = path[-1]
    if leaf.message_type is not None and not leaf.is_repeated:
        # Even when unset: a response_body message prints as the default message, never null.
        return to_json(getattr(parent, leaf.name))
    parent_json = to_json(parent)
    if not isinstance(parent_json, dict):  # e.g. response_body "timestamp.seconds": a string has no keys
        raise TypeError(
            f"{parent.DESCRIPTOR.full_name} prints as {type(parent_json).__name__}, not an object"
        )
    return parent_json.get(leaf.json_name)


def json_bytes(response: Message, path: Sequence[FieldDescriptor] = ()) -> bytes:
    """``render`` as the bytes of a response body: compact UTF-8, as Starlette's JSONResponse writes."""
    return json.dumps(
        render(response, path), ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def _in_field_order(descriptor: Descriptor, document: object) -> object:
    """`document`, the JSON of a `descriptor` message, with its keys in declaration order."""
    if descriptor.full_name in _OWN_JSON_FORM or not isinstance(document, dict):
        return document
    ordered: dict[str, object] = {}
    for field in descriptor.fields:
        if field.json_name in document:
            ordered[field.json_name] = _field_in_order(field, document[field.json_name])
    for key, value in document.items():  # nothing a proto3 message prints, but never drop a key
        ordered.setdefault(key, value)
    return ordered


def _field_in_order(field: FieldDescriptor, value: object) -> object:
    nested = field.message_type
    if nested is None:
        return value
    if nested.GetOptions().map_entry:
        value_type = nested.fields_by_name["value"].message_type
        if value_type is None or not isinstance(value, dict):
            return value
        return {key: _in_field_order(value_type, item) for key, item in value.items()}
    if field.is_repeated and isinstance(value, list):
        return [_in_field_order(nested, item) for item in value]
    return _in_field_order(nested, value)
