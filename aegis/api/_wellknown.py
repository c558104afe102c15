"""Range checks for Timestamp and Duration fields of a request, wherever they are nested.

The binary wire format lets a client send any seconds/nanos; protobuf only complains when a
servicer converts the value (``ToDatetime`` raises deep inside, which became UNKNOWN or INTERNAL
with a traceback). REST never gets there: json_format refuses such values while parsing. So the
gRPC transport runs ``out_of_range`` on every request it parses, and a bad value is
INVALID_ARGUMENT naming the field, before any servicer sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from aegis.api.echo import echo

__all__ = ["out_of_range"]

# google/protobuf/timestamp.proto: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
_TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)
# google/protobuf/duration.proto: about +-10,000 years.
_DURATION_SECONDS = (-315_576_000_000, 315_576_000_000)
_NANOS = 999_999_999


def out_of_range(message: Message, prefix: str = "") -> str | None:
    """A sentence naming the first Timestamp or Duration outside its documented range, or None."""
    for path, field, value in _message_values(message, prefix):
        kind = field.message_type.full_name if field.message_type is not None else ""
        if kind == "google.protobuf.Timestamp":
            problem = _timestamp_problem(value.seconds, value.nanos)
        elif kind == "google.protobuf.Duration":
            problem = _duration_problem(value.seconds, value.nanos)
        else:
            problem = out_of_range(value, f"{path}.")
        if problem is not None:
            return problem if kind not in _CHECKED else f"{path}: {problem}"
    return None


_CHECKED = frozenset({"google.protobuf.Timestamp", "google.protobuf.Duration"})


def _message_values(message: Message, prefix: str) -> Iterator[tuple[str, FieldDescriptor, Any]]:
    """(path, field, message value) for every set message-typed field, map values included."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        path = f"{prefix}{field.json_name}"
        if field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is not None:
                for key, item in value.items():
                    yield f"{path}[{echo(str(key), 40)}]", value_field, item
        elif field.is_repeated:
            for index, item in enumerate(value):
                yield f"{path}[{index}]", field, item
        else:
            yield path, field, value


def _timestamp_problem(seconds: int, nanos: int) -> str | None:
    low, high = _TIMESTAMP_SECONDS
    if not low <= seconds <= high:
        return f"seconds {seconds} is outside the range of a Timestamp (years 1 to 9999)"
    if not 0 <= nanos <= _NANOS:
        return f"nanos {nanos} must be between 0 and {_NANOS}"
    return None


def _duration_problem(seconds: int, nanos: int) -> str | None:
    low, high = _DURATION_SECONDS
    if not low <= seconds <= high:
        return f"seconds {seconds} is outside the range of a Duration (about 10,000 years)"
    if not -_NANOS <= nanos <= _NANOS:
        return f"nanos {nanos} must be between -{_NANOS} and {_NANOS}"
    if (seconds > 0 and nanos < 0) or (seconds < 0 and nanos > 0):
        return "seconds and nanos must have the same sign"
    return None
