"""Republish gRPC servicers as JSON REST by reading the `google.api.http` rules of their descriptors.

grpc-gateway semantics without a generated gateway: every method with an http rule becomes a
route, its path variables, body and query parameters fill the request message, and the call runs
through the same request Pipeline as gRPC (interceptors included) with a CallContext built from
the HTTP request; the response, or the error as google.rpc.Status, is written as proto3 JSON.
Nothing here names an aegis endpoint: the contract in proto/ is the only routing table.
docs/rest.md lists every choice (unknown query parameters, bodies, 404 vs 405, trailing slashes...).

This module serves the routes; the pieces live beside it: `_rest_routes` (http rules -> routes),
`rest_context` (HTTP request -> CallContext), `_rest_request` (HTTP request -> request message)
and `_rest_response` (response message -> JSON).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote

import grpc
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from aegis.api._rest_request import ParsedRequests, build_request
from aegis.api._rest_response import json_bytes
from aegis.api._rest_routes import RestConfigError, RestRoute, compile_routes
from aegis.api.errors import JSON_MEDIA_TYPE, StatusError, code_for_http_status, status_response
from aegis.api.http_protocol import WATCH_DISCONNECT, WatchDisconnect
from aegis.api.pipeline import AbortError, CallContext, Pipeline
from aegis.api.rest_context import context_for
from aegis.api.service_binding import ServiceBinding

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_TIMEOUT",
    "CallContext",
    "RestConfigError",
    "ServiceBinding",
    "build_rest_app",
]

# gRPC's default limit on a received message: a REST body gets no more room than its gRPC twin.
DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024
# A REST call without Grpc-Timeout gets this deadline (seconds); None: no deadline.
DEFAULT_TIMEOUT = 120.0

_INTERNAL_MESSAGE = "internal error"
_MATCH_KEY = "aegis.rest.match"
_ALLOWED_KEY = "aegis.rest.allowed"


# --- Public surface ---------------------------------------------------------------------------


def build_rest_app(
    bindings: Sequence[ServiceBinding],
    *,
    pipeline: Pipeline | None = None,
    routes: Sequence[BaseRoute] = (),
    logger: logging.Logger | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    default_timeout: float | None = DEFAULT_TIMEOUT,
) -> Starlette:
    """A Starlette app serving every http-annotated method of `bindings`, plus the extra `routes`.

    Every call runs through `pipeline` (the same one the gRPC server runs; by default one without
    interceptors). Raises RestConfigError at build time for any rule that could not be served, so
    a broken contract stops the server from starting instead of answering 404 forever.
    """
    log = logger or logging.getLogger(__name__)
    transcoding = _TranscodingRoute(
        compile_routes(bindings, pipeline or Pipeline(logger=log)), log, max_body_size, default_timeout
    )
    app = Starlette(
        routes=[*routes, transcoding],
        exception_handlers={HTTPException: _http_exception_response, Exception: _unexpected_error_response},
    )
    # A redirect to the slash-less path would make clients resend bodies and hide typos: 404 instead.
    app.router.redirect_slashes = False
    return app


# --- Serving the compiled routes ---------------------------------------------------------------


class _TranscodingRoute(BaseRoute):
    """Every transcoded route in one Starlette route, so 405 can list all methods of a path."""

    def __init__(
        self,
        routes: Sequence[RestRoute],
        logger: logging.Logger,
        max_body_size: int,
        default_timeout: float | None,
    ) -> None:
        self._routes = tuple(routes)
        self._logger = logger
        self._max_body_size = max_body_size
        self._default_timeout = default_timeout
        self._parsed = ParsedRequests()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path = _raw_route_path(scope)
        allowed: list[str] = []
        for route in self._routes:  # declaration order: the first matching template wins
            variables = route.template.match(path)
            if variables is None:
                continue
            if route.http_method in ("*", scope["method"]):
                return Match.FULL, {_MATCH_KEY: (route, variables)}
            allowed.append(route.http_method)
        if allowed:
            return Match.PARTIAL, {_ALLOWED_KEY: tuple(dict.fromkeys(allowed))}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        matched: tuple[RestRoute, dict[str, str]] | None = scope.get(_MATCH_KEY)
        if matched is None:
            allowed = ", ".join(scope[_ALLOWED_KEY])
            response: Response | None = status_response(
                grpc.StatusCode.UNIMPLEMENTED,
                f"method {request.method} is not allowed on {request.url.path}; allowed: {allowed}",
                http_status=HTTPStatus.METHOD_NOT_ALLOWED,
                headers={"Allow": allowed},
            )
        else:
            response = await self._serve(*matched, request, receive)
        if response is not None:
            await response(scope, receive, send)

    async def _serve(
        self, route: RestRoute, variables: Mapping[str, str], request: Request, receive: Receive
    ) -> Response | None:
        """The response, or None when the client went away (its work is cancelled, nothing is sent).

        A request that cannot be built still runs the chain (``CallContext.reject``), so it is
        authenticated, counted and logged like any call before it ends with its 400 (or 413).
        """
        context = context_for(request, self._default_timeout)
        try:
            message = await build_request(
                route.request, variables, request, self._max_body_size, self._parsed
            )
        except StatusError as err:
            message = route.rpc.request_class()
            if context.rejection is None:
                context.reject(AbortError(err.code, err.message, http_status=err.http_status))
        except ClientDisconnect:
            self._logger.info("%s: the client disconnected while sending its request", route.rpc.name)
            return None
        watch: WatchDisconnect | None = request.scope.get(WATCH_DISCONNECT)
        if watch is None:  # another ASGI server: watch for http.disconnect beside the call
            return await self._call_watching_receive(route, message, context, receive)
        return await self._call_until_disconnect(route, message, context, watch)

    async def _call_until_disconnect(
        self, route: RestRoute, message: Message, context: CallContext, watch: WatchDisconnect
    ) -> Response | None:
        """The call in this very task, cancelled by our HTTP protocol if the connection is lost.

        No second task and no asyncio.wait per request: they cost more than a cached decision.
        """
        task = asyncio.current_task()
        assert task is not None
        gone = False

        def lost() -> None:
            nonlocal gone
            gone = True
            context.mark_cancelled()
            task.cancel()

        unwatch = watch(lost)
        try:
            return await self._call(route, message, context)
        except asyncio.CancelledError:
            if not gone:
                raise
            task.uncancel()
        finally:
            unwatch()
        self._logger.info("%s: the client disconnected; its call was cancelled", route.rpc.name)
        return None

    async def _call_watching_receive(
        self, route: RestRoute, message: Message, context: CallContext, receive: Receive
    ) -> Response | None:
        call = asyncio.create_task(self._call(route, message, context))
        gone = asyncio.create_task(_disconnected(receive))
        await asyncio.wait({call, gone}, return_when=asyncio.FIRST_COMPLETED)
        if call.done():
            gone.cancel()
            return call.result()
        context.mark_cancelled()
        call.cancel()
        self._logger.info("%s: the client disconnected; its call was cancelled", route.rpc.name)
        return None

    async def _call(self, route: RestRoute, message: Message, context: CallContext) -> Response:
        rpc = route.rpc
        try:
            result = await rpc.handler(message, context)
        except AbortError as aborted:
            headers = dict((*context.response_headers, *aborted.headers))
            return status_response(
                aborted.code, aborted.details, http_status=aborted.http_status, headers=headers
            )
        try:
            encoded = context.encoded_form(result)
            if encoded is not None:
                body = encoded.json(route.response_body)
            else:
                body = json_bytes(result, route.response_body)
        except Exception:
            self._logger.exception("%s: cannot encode the response as JSON", rpc.name)
            return status_response(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)
        return Response(body, headers=dict(context.response_headers), media_type=JSON_MEDIA_TYPE)


async def _disconnected(receive: Receive) -> None:
    """Returns once the client has gone (the request body has been read by then)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _raw_route_path(scope: Scope) -> str:
    """The path below root_path, still percent-encoded, so "%2F" inside a value is not a "/".

    Uses raw_path when it agrees with the decoded path; otherwise re-encodes the decoded path.
    """
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) :].startswith("/"):
        path = path[len(root) :]
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        text = raw.decode("latin-1")
        quoted_root = quote(root, safe=_PATH_SAFE)
        if root and text.startswith(quoted_root):
            text = text[len(quoted_root) :]
        if unquote(text) == path:
            return text
    return quote(path, safe=_PATH_SAFE)


# --- Errors outside the transcoded routes ------------------------------------------------------


def _http_exception_response(request: Request, exc: Exception) -> Response:
    """Starlette's own rejections (no route: 404; 405 on an extra route) as Status JSON."""
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for HTTPException only
        raise exc
    message = exc.detail
    if exc.status_code == HTTPStatus.NOT_FOUND and message == HTTPStatus.NOT_FOUND.phrase:
        message = f"no route matches {request.method} {request.url.path}"
    return status_response(
        code_for_http_status(exc.status_code),
        message,
        http_status=exc.status_code,
        headers=exc.headers,
    )


def _unexpected_error_response(request: Request, exc: Exception) -> Response:
    """A crash in an extra route: Status JSON without details (the server logs the traceback)."""
    return status_response(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)
