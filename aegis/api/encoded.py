"""A response that will never change again, encoded once for each surface, on first use.

An evaluation does not change after it is made, so neither does the answer built from it: the
servicer keeps that answer (aegis.api.servicers) and hands it to the transports through
``CallContext.answer_with``. gRPC then sends the same serialized bytes, and REST the same JSON
bytes, to every caller, instead of converting and encoding the message once per request.

    encoded = EncodedMessage(gate_pb2.DecideResponse(...))   # kept with the evaluation
    return context.answer_with(encoded)                     # in the servicer, per call
    encoded.wire(); encoded.json(response_body)             # in the transports, computed once

Nobody may mutate ``message`` once it is wrapped: that is the promise this type stands for.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from aegis.api._rest_response import json_bytes

__all__ = ["EncodedMessage"]


class EncodedMessage:
    __slots__ = ("_json", "_wire", "message")

    def __init__(self, message: Message) -> None:
        self.message = message
        self._wire: bytes | None = None
        self._json: dict[tuple[str, ...], bytes] = {}

    def wire(self) -> bytes:
        """The protobuf encoding, as gRPC sends it."""
        if self._wire is None:
            self._wire = self.message.SerializeToString()
        return self._wire

    def json(self, response_body: Sequence[FieldDescriptor] = ()) -> bytes:
        """The proto3 JSON body REST sends for a rule with this ``response_body`` (() for all)."""
        key = tuple(field.full_name for field in response_body)
        found = self._json.get(key)
        if found is None:
            found = self._json[key] = json_bytes(self.message, response_body)
        return found
