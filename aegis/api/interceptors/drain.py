"""While the server drains, new calls are refused; the calls in flight are counted.

Refused with UNAVAILABLE (503 on REST, with ``Connection: close`` so a keep-alive client moves to
another instance): the request was fine, this instance is going away, retrying elsewhere works.
"""

from __future__ import annotations

import grpc
from google.protobuf.message import Message

from aegis.api.pipeline import AbortError, CallContext, Handler
from aegis.lifecycle import Lifecycle

__all__ = ["DrainInterceptor"]

SHUTTING_DOWN = "the server is shutting down; retry on another instance"


class DrainInterceptor:
    def __init__(self, lifecycle: Lifecycle) -> None:
        self._lifecycle = lifecycle

    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message:
        if self._lifecycle.draining:
            # Connection is a hop-by-hop header: it exists on HTTP/1.1 only, never in gRPC metadata.
            headers = (("connection", "close"),) if context.surface == "rest" else ()
            raise AbortError(grpc.StatusCode.UNAVAILABLE, SHUTTING_DOWN, headers)
        with self._lifecycle.track():
            return await proceed(request, context)
