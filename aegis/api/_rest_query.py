"""Query parameters into the request message: each key names a field ("sloID", "slo_id", "sli.type").

An unknown key, a key naming a message or a map, a field the path or the body binds already, or
a single field set twice is a 400 that names the parameter (docs/rest.md, "Query parameters").
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from aegis.api._rest_binding import RequestBinding
from aegis.api._rest_text import (
    TEXT_MESSAGES,
    FieldPath,
    assign,
    dotted,
    is_map,
    overlaps,
    settable_from_text,
)
from aegis.api.echo import echo
from aegis.api.errors import StatusError

__all__ = ["apply_query"]


def _invalid(message: str) -> StatusError:
    return StatusError(grpc.StatusCode.INVALID_ARGUMENT, message)


def apply_query(binding: RequestBinding, message: Message, items: Sequence[tuple[str, str]]) -> None:
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
                    f"query parameter {echo(key)} sets {dotted(path)}, which {binder} already binds"
                )
        grouped.setdefault(path, []).append((key, value))
    for path, pairs in grouped.items():
        keys = ", ".join(dict.fromkeys(echo(key) for key, _ in pairs))
        if len(pairs) > 1 and not path[-1].is_repeated:
            raise _invalid(
                f"field {dotted(path)} is set {len(pairs)} times by query parameters {keys}, "
                "but it holds a single value"
            )
        try:
            assign(message, path, [value for _, value in pairs])
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
            if nested is None or field.is_repeated or nested.full_name in TEXT_MESSAGES:
                raise _invalid(f"unknown query parameter {echo(key)}: {part[:40]} has no fields to set")
            current = nested
    leaf = path[-1]
    if is_map(leaf):
        raise _invalid(f"query parameter {echo(key)}: map fields cannot be set from the query string")
    if not settable_from_text(leaf):
        nested = leaf.message_type
        example = nested.fields[0].json_name if nested is not None and nested.fields else "field"
        raise _invalid(
            f"query parameter {echo(key)} names a message: "
            f"set its fields instead, e.g. {echo(key)[1:-1]}.{example}"
        )
    return tuple(path)
