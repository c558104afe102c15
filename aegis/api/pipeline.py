"""The one request pipeline that both surfaces run: interceptors around the servicer methods.

grpc-gateway warns that a gRPC interceptor silently misses in-process REST calls. So neither
surface calls a servicer directly: the gRPC transport and the REST transcoder each build a
``CallContext`` from what arrived (metadata or forwarded headers, peer, deadline) and invoke the
same ``Pipeline``, whose interceptors (request ids, deadlines, authentication, logging, metrics)
therefore cover both. The servicers keep grpc.aio's interface: ``await context.abort(code, msg)``.

Whatever happens inside, a call ends one of two ways: the response message, or an ``AbortError``
carrying the status, which each surface renders in its own terms (gRPC status + trailers,
google.rpc.Status JSON + HTTP headers). A crash is logged once and becomes INTERNAL without
details, so no traceback reaches a client.

    pipeline = Pipeline([RequestIdInterceptor(), DeadlineInterceptor()])
    handler = pipeline.handler(method, servicer.Decide)   # built once per method
    response = await handler(request, context)           # per call
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, NoReturn, Protocol

import grpc
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from aegis.api.echo import cap_message
from aegis.api.encoded import EncodedMessage

__all__ = [
    "AbortError",
    "CallContext",
    "Handler",
    "Interceptor",
    "Metadata",
    "MethodInfo",
    "Pipeline",
]

Metadata = tuple[tuple[str, str], ...]
Surface = Literal["grpc", "rest"]
Handler = Callable[[Message, "CallContext"], Awaitable[Message]]

_INTERNAL_MESSAGE = "internal error"


class AbortError(Exception):
    """The status a call ends with. ``headers``: HTTP response headers on REST, trailers on gRPC.

    ``http_status`` overrides the REST status mapped from ``code``, for the few rejections HTTP has
    a word of its own for (413 for a body over the limit).
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        details: str,
        headers: Metadata = (),
        *,
        http_status: int | None = None,
    ) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details
        self.headers = headers
        self.http_status = http_status


class MethodInfo:
    """What an interceptor may want to know about the method being called."""

    def __init__(
        self,
        full_name: str,
        response_class: type[Message],
        descriptor: MethodDescriptor | None = None,
    ) -> None:
        # gRPC's path form, "/aegis.v1.GateService/Decide": what metadata, logs and metrics name.
        self.full_name = full_name
        self.service, _, self.name = full_name.strip("/").partition("/")
        self.response_class = response_class
        # The contract's method, so interceptors can read its options (the scope it requires).
        self.descriptor = descriptor

    def __repr__(self) -> str:
        return f"MethodInfo({self.full_name!r})"


class CallContext:
    """One call as the servicer and the interceptors see it, whichever surface it came in on.

    The part of grpc.aio.ServicerContext that thin servicers use (abort, set_code/details,
    invocation_metadata, peer, time_remaining), plus what the pipeline needs: the surface, the
    deadline (an event-loop time, or None), free-form ``attributes`` that interceptors set for
    later ones (``request_id``, ``principal``), and ``response_headers`` to send back (initial
    metadata on gRPC, HTTP headers on REST).

    ``rejection`` is set by a transport whose request could not be built (bytes or JSON that do
    not parse, a malformed ``Grpc-Timeout``): the call still runs the chain, with an empty request
    message, so that it is authenticated, counted and logged like any other, and ends with that
    error where the servicer would have been called.

    ``encoded`` is set by a servicer that answers with a message encoded once for every caller
    (``answer_with``); a transport sends its cached bytes when the response is that very message.
    """

    def __init__(
        self,
        *,
        surface: Surface,
        metadata: Metadata = (),
        peer: str = "unknown",
        deadline: float | None = None,
    ) -> None:
        self.surface: Surface = surface
        self.method: MethodInfo | None = None
        self.attributes: dict[str, Any] = {}
        self.response_headers: list[tuple[str, str]] = []
        self._metadata = metadata
        self._peer = peer
        self._deadline = deadline
        self._code: grpc.StatusCode | None = None
        self._details: str | None = None
        self._trailing_metadata: Metadata = ()
        self._cancelled = False
        self.rejection: AbortError | None = None
        self.encoded: EncodedMessage | None = None

    # --- grpc.aio.ServicerContext's surface -------------------------------------------------

    async def abort(
        self, code: grpc.StatusCode, details: str = "", trailing_metadata: Metadata = ()
    ) -> NoReturn:
        self._code = code
        self._details = details
        raise AbortError(code, details, tuple(trailing_metadata))

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def set_details(self, details: str) -> None:
        self._details = details

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def details(self) -> str | None:
        return self._details

    def invocation_metadata(self) -> Metadata:
        return self._metadata

    def peer(self) -> str:
        return self._peer

    def time_remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return max(self._deadline - asyncio.get_running_loop().time(), 0.0)

    def cancelled(self) -> bool:
        return self._cancelled

    def set_trailing_metadata(self, trailing_metadata: Metadata) -> None:
        self._trailing_metadata = tuple(trailing_metadata)

    def trailing_metadata(self) -> Metadata:
        return self._trailing_metadata

    # --- for the pipeline and its interceptors -----------------------------------------------

    def metadata_value(self, name: str) -> str | None:
        """The first value of metadata key ``name`` (lower case), or None."""
        return next((value for key, value in self._metadata if key == name), None)

    @property
    def deadline(self) -> float | None:
        return self._deadline

    def set_deadline(self, deadline: float | None) -> None:
        self._deadline = deadline

    def mark_cancelled(self) -> None:
        self._cancelled = True

    def answer_with(self, encoded: EncodedMessage) -> Message:
        """Answer with ``encoded.message``, which the transports may send as its cached bytes."""
        self.encoded = encoded
        return encoded.message

    def encoded_form(self, response: Message) -> EncodedMessage | None:
        """The cached encodings of ``response``, if the servicer answered with one (and nobody swapped it)."""
        encoded = self.encoded
        return encoded if encoded is not None and encoded.message is response else None

    def reject(self, error: AbortError) -> None:
        """End the call with ``error`` instead of calling the servicer (see the class docstring)."""
        self.rejection = error


class Interceptor(Protocol):
    """One link of the chain: do something around ``proceed`` (or instead of it, by aborting)."""

    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message: ...


class Pipeline:
    """The interceptors, outermost first, and the normalisation of every outcome."""

    def __init__(
        self, interceptors: Sequence[Interceptor] = (), *, logger: logging.Logger | None = None
    ) -> None:
        self.interceptors = tuple(interceptors)
        self._logger = logger or logging.getLogger(__name__)

    def handler(self, method: MethodInfo, servicer_method: Callable[[Message, CallContext], Any]) -> Handler:
        """The chain for one method, built once: interceptors around the servicer method."""
        call: Handler = _Terminal(method, servicer_method, self._logger)
        for interceptor in reversed(self.interceptors):
            call = _Link(interceptor, call)
        return _Entry(method, call, self._logger)


class _Terminal:
    """Calls the servicer with grpc.aio's rules and turns every outcome into a message or AbortError."""

    def __init__(
        self,
        method: MethodInfo,
        servicer_method: Callable[[Message, CallContext], Any],
        logger: logging.Logger,
    ) -> None:
        self._method = method
        self._call = servicer_method
        self._logger = logger

    async def __call__(self, request: Message, context: CallContext) -> Message:
        name = self._method.full_name
        if context.rejection is not None:
            raise context.rejection
        try:
            result = self._call(request, context)
            if inspect.isawaitable(result):
                result = await result
        except AbortError as aborted:
            if aborted.code == grpc.StatusCode.OK:
                self._logger.error("%s called abort() with OK; answering INTERNAL", name)
                raise AbortError(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE) from None
            raise
        except Exception as err:
            code = context.code()
            if code is not None and code != grpc.StatusCode.OK:
                # grpc.aio honours a code set before raising (the generated base servicers do this).
                raise AbortError(code, context.details() or "") from err
            self._logger.exception("%s failed", name)
            raise AbortError(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE) from None
        code = context.code()
        if code is not None and code != grpc.StatusCode.OK:
            raise AbortError(code, context.details() or "")
        if not isinstance(result, self._method.response_class):
            self._logger.error(
                "%s returned %s instead of %s",
                name,
                type(result).__name__,
                self._method.response_class.__name__,
            )
            raise AbortError(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)
        return result


class _Link:
    def __init__(self, interceptor: Interceptor, proceed: Handler) -> None:
        self._interceptor = interceptor
        self._proceed = proceed

    async def __call__(self, request: Message, context: CallContext) -> Message:
        return await self._interceptor.intercept(request, context, self._proceed)


class _Entry:
    """Sets the method on the context; a crash inside an interceptor is INTERNAL too, never a traceback."""

    def __init__(self, method: MethodInfo, chain: Handler, logger: logging.Logger) -> None:
        self._method = method
        self._chain = chain
        self._logger = logger

    async def __call__(self, request: Message, context: CallContext) -> Message:
        context.method = self._method
        try:
            return await self._chain(request, context)
        except AbortError as aborted:
            # Clients refuse oversized trailers (8 KiB in grpcio): a long echo must not become
            # RESOURCE_EXHAUSTED on the client's side.
            aborted.details = cap_message(aborted.details)
            raise
        except Exception:
            self._logger.exception("the request pipeline failed on %s", self._method.full_name)
            raise AbortError(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE) from None
