"""A call never outlives its deadline: DEADLINE_EXCEEDED, and its work is cancelled.

The deadline is the gRPC client's (``grpc-timeout``), on REST a ``Grpc-Timeout`` header when the
caller sends one, else the server's default; the transports put it on the context. Work shared
with other callers (a fresh evaluation) is shielded by its owner, so one impatient caller cancels
only its own wait.
"""

from __future__ import annotations

import asyncio

import grpc
from google.protobuf.message import Message

from aegis.api.pipeline import AbortError, CallContext, Handler


class DeadlineInterceptor:
    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message:
        remaining = context.time_remaining()
        if remaining is None:
            return await proceed(request, context)
        if remaining <= 0:
            raise AbortError(
                grpc.StatusCode.DEADLINE_EXCEEDED, "the deadline had passed before the call began"
            )
        try:
            async with asyncio.timeout(remaining):
                return await proceed(request, context)
        except TimeoutError:
            raise AbortError(
                grpc.StatusCode.DEADLINE_EXCEEDED, f"deadline exceeded: no answer within {remaining:.3g}s"
            ) from None
