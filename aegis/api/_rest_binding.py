"""Where each part of an HTTP request goes in the request message of one route."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

from aegis.api._rest_text import FieldPath

__all__ = ["RequestBinding"]


@dataclass(frozen=True)
class RequestBinding:
    """Where each part of an HTTP request goes in the request message of one route."""

    label: str  # "GET /v1/slo/{id}": names the route in error messages
    descriptor: Descriptor  # of the request message
    message_class: type[Message]
    path_fields: Mapping[str, FieldPath]  # path variable name -> the field it sets
    body: FieldPath | None  # None: no body; (): the whole request ("*"); else that field
