"""The gRPC surface: method handlers that run the one request pipeline.

Registered from the service descriptors (``add_to_server``: as registered methods, as the
generated helpers do) instead of through the generated ``add_*Servicer_to_server`` helpers, so
that every call goes through the same Pipeline as REST and so that bytes in and out are ours:
a request that does not parse, or carries a Timestamp outside its range, is INVALID_ARGUMENT
(grpcio would answer UNKNOWN and log a traceback). Such a request still runs the chain
(``CallContext.reject``), so it is authenticated, counted and logged like any call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import DecodeError, Message

from aegis.api._wellknown import out_of_range
from aegis.api.pipeline import AbortError, CallContext, Handler, MethodInfo, Pipeline
from aegis.api.service_binding import ServiceBinding

__all__ = ["add_to_server", "generic_handlers", "method_info"]


def method_info(method: MethodDescriptor) -> MethodInfo:
    return MethodInfo(
        f"/{method.containing_service.full_name}/{method.name}",
        message_factory.GetMessageClass(method.output_type),
        method,
    )


def add_to_server(
    server: grpc.aio.Server, bindings: Sequence[ServiceBinding], pipeline: Pipeline, logger: logging.Logger
) -> None:
    """Serve ``bindings`` on ``server``, as registered methods (as the generated helpers do).

    grpc-core matches a registered method when the call arrives, instead of handing every call
    to Python to look up among the generic handlers: a measurable part of a cached decision.
    """
    for binding in bindings:
        methods = _method_handlers(binding, pipeline, logger)
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(binding.descriptor.full_name, methods),)
        )
        server.add_registered_method_handlers(binding.descriptor.full_name, methods)


def generic_handlers(
    bindings: Sequence[ServiceBinding], pipeline: Pipeline, logger: logging.Logger
) -> list[grpc.GenericRpcHandler]:
    return [
        grpc.method_handlers_generic_handler(
            binding.descriptor.full_name, _method_handlers(binding, pipeline, logger)
        )
        for binding in bindings
    ]


def _method_handlers(
    binding: ServiceBinding, pipeline: Pipeline, logger: logging.Logger
) -> dict[str, grpc.RpcMethodHandler]:
    methods: dict[str, grpc.RpcMethodHandler] = {}
    for method in binding.descriptor.methods:
        if method.client_streaming or method.server_streaming:
            raise ValueError(f"{method.full_name}: streaming methods are not served")
        handler = pipeline.handler(method_info(method), getattr(binding.servicer, method.name))
        methods[method.name] = grpc.unary_unary_rpc_method_handler(
            _Behavior(method, handler, logger).behavior(),
            request_deserializer=None,  # bytes in: parsing failures are ours to answer
            response_serializer=None,  # bytes out
        )
    return methods


class _Behavior:
    def __init__(self, method: MethodDescriptor, handler: Handler, logger: logging.Logger) -> None:
        self._request_class = message_factory.GetMessageClass(method.input_type)
        self._type_name = method.input_type.full_name
        self._handler = handler
        self._logger = logger

    def behavior(self) -> Callable[[bytes, Any], Coroutine[Any, Any, bytes]]:
        """A plain coroutine function: grpc.aio awaits only what inspect calls a coroutine function."""

        async def behavior(raw: bytes, grpc_context: Any) -> bytes:
            return await self.call(raw, grpc_context)

        return behavior

    async def call(self, raw: bytes, grpc_context: Any) -> bytes:
        context = CallContext(
            surface="grpc",
            metadata=_metadata(grpc_context.invocation_metadata()),
            peer=grpc_context.peer(),
            deadline=_deadline(grpc_context.time_remaining()),
        )
        try:
            request = self._parse(raw)
        except AbortError as rejected:
            # Still a call: authenticated, counted and logged by the chain, then this error.
            request = self._request_class()
            context.reject(rejected)
        try:
            response = await self._handler(request, context)
        except AbortError as aborted:
            trailers = (*context.response_headers, *aborted.headers)
            await grpc_context.abort(aborted.code, aborted.details, trailing_metadata=trailers)
            raise AssertionError("abort returned") from None  # pragma: no cover - abort always raises
        if context.response_headers:
            await grpc_context.send_initial_metadata(tuple(context.response_headers))
        encoded = context.encoded_form(response)
        return encoded.wire() if encoded is not None else response.SerializeToString()

    def _parse(self, raw: bytes) -> Message:
        message = self._request_class()
        try:
            message.ParseFromString(raw)
        except (DecodeError, RuntimeWarning, ValueError) as err:
            raise AbortError(
                grpc.StatusCode.INVALID_ARGUMENT, f"the request is not a valid {self._type_name}: {err}"
            ) from None
        problem = out_of_range(message)
        if problem is not None:
            raise AbortError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid {self._type_name}: {problem}")
        return message


def _metadata(pairs: Any) -> tuple[tuple[str, str], ...]:
    """Text metadata, lower-case keys; binary (``-bin``) values are not forwarded to servicers."""
    found: list[tuple[str, str]] = []
    for key, value in pairs or ():
        if isinstance(value, str):
            found.append((str(key).lower(), value))
    return tuple(found)


def _deadline(remaining: float | None) -> float | None:
    if remaining is None:
        return None
    return asyncio.get_running_loop().time() + remaining
