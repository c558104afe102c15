"""The request body as JSON: strict (UTF-8, no duplicate keys, no NaN literals), whatever its label.

Every rejection is a StatusError (400 INVALID_ARGUMENT) that says what was wrong; a body sent as a
form or text that is not JSON is told that the API reads JSON whatever the Content-Type says.
"""

from __future__ import annotations

import json
from typing import NoReturn

import grpc

from aegis.api.echo import echo
from aegis.api.errors import StatusError

__all__ = ["NO_BODY", "decode_json", "json_kind"]


def _invalid(message: str) -> StatusError:
    return StatusError(grpc.StatusCode.INVALID_ARGUMENT, message)


NO_BODY = object()


class _RejectedJsonError(ValueError):
    pass


def decode_json(raw: bytes, content_type: str | None) -> object:
    """The parsed body, or NO_BODY when it is empty; StatusError for anything but a JSON document.

    Lenient about the label, strict about the content: a body that is JSON is read as JSON
    whatever its Content-Type (as grpc-gateway's default marshaler does), so that
    `curl -d '{"sloID": "x"}'`, which labels it a form, works. The Content-Type only helps
    explain a body that is not JSON.
    """
    if not raw.strip():
        return NO_BODY
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


def json_kind(document: object) -> str:
    if isinstance(document, list):
        return "an array"
    if isinstance(document, str):
        return "a string"
    if isinstance(document, bool):
        return "a boolean"
    if isinstance(document, (int, float)):
        return "a number"
    return "null"
