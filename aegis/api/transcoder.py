"""Republish gRPC servicers as JSON REST by reading the `google.api.http` rules of their descriptors.

grpc-gateway semantics without a generated gateway: every method with an http rule becomes a
route, its path variables, body and query parameters fill the request message, and the call runs
through the same request Pipeline as gRPC (interceptors included) with a CallContext built from
the HTTP request; the response, or the error as google.rpc.Status, is written as proto3 JSON.
Nothing here names an aegis endpoint: the contract in proto/ is the only routing table.
docs/rest.md lists every choice (unknown query parameters, bodies, 404 vs 405, trailing slashes...).

This module compiles the rules into routes and serves them; the pieces live beside it:
`rest_context` (HTTP request -> CallContext), `_rest_request` (HTTP request -> request message)
and `_rest_response` (response message -> JSON).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote

import grpc
from google.api import annotations_pb2, http_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from aegis.api._rest_request import (
    FieldPath,
    RequestBinding,
    build_request,
    is_singular_message,
    overlaps,
    settable_from_text,
)
from aegis.api._rest_response import render
from aegis.api.errors import StatusError, code_for_http_status, status_response
from aegis.api.grpc_transport import method_info
from aegis.api.httprule import PathTemplate, TemplateError, parse_template
from aegis.api.pipeline import AbortError, CallContext, Handler, Pipeline
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


class RestConfigError(ValueError):
    """An http rule that cannot be served (bad template, unknown field, clashing routes...)."""


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
        _compile_routes(bindings, pipeline or Pipeline(logger=log)), log, max_body_size, default_timeout
    )
    app = Starlette(
        routes=[*routes, transcoding],
        exception_handlers={HTTPException: _http_exception_response, Exception: _unexpected_error_response},
    )
    # A redirect to the slash-less path would make clients resend bodies and hide typos: 404 instead.
    app.router.redirect_slashes = False
    return app


# --- Compiling http rules into routes ----------------------------------------------------------


@dataclass(frozen=True)
class _Rpc:
    name: str
    handler: Handler  # the pipeline around the servicer method
    request_class: type[Message]
    response_class: type[Message]


@dataclass(frozen=True)
class _RestRoute:
    """One (HTTP method, path template) pair of an http rule, resolved against the messages."""

    http_method: str  # upper case, or "*" (custom kind "*": any method)
    template: PathTemplate
    rpc: _Rpc
    request: RequestBinding
    response_body: FieldPath  # (): the whole response

    @property
    def label(self) -> str:
        return self.request.label


_HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _compile_routes(bindings: Sequence[ServiceBinding], pipeline: Pipeline) -> list[_RestRoute]:
    routes: list[_RestRoute] = []
    seen: dict[tuple[str, str], _RestRoute] = {}
    for binding in bindings:
        for method in binding.descriptor.methods:
            rules = _http_rules(method)
            if not rules:
                continue
            rpc = _resolve_rpc(method, binding.servicer, pipeline)
            for rule in rules:
                route = _compile_rule(method, rule, rpc)
                clash = seen.get((route.http_method, route.template.shape))
                if clash is not None:
                    raise RestConfigError(
                        f"{rpc.name}: {route.label} matches the same requests as {clash.label} "
                        f"of {clash.rpc.name}"
                    )
                seen[(route.http_method, route.template.shape)] = route
                routes.append(route)
    return routes


def _http_rules(method: MethodDescriptor) -> list[http_pb2.HttpRule]:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return []
    rule = options.Extensions[annotations_pb2.http]
    for extra in rule.additional_bindings:
        if extra.additional_bindings:
            raise RestConfigError(f"{method.full_name}: additional_bindings cannot be nested")
    return [rule, *rule.additional_bindings]


def _resolve_rpc(method: MethodDescriptor, servicer: object, pipeline: Pipeline) -> _Rpc:
    if method.client_streaming or method.server_streaming:
        raise RestConfigError(f"{method.full_name}: streaming methods cannot be transcoded to REST")
    handler = getattr(servicer, method.name, None)
    if not callable(handler):
        raise RestConfigError(
            f"{method.full_name}: servicer {type(servicer).__name__} has no method {method.name}"
        )
    return _Rpc(
        name=method.full_name,
        handler=pipeline.handler(method_info(method), handler),
        request_class=message_factory.GetMessageClass(method.input_type),
        response_class=message_factory.GetMessageClass(method.output_type),
    )


def _compile_rule(method: MethodDescriptor, rule: http_pb2.HttpRule, rpc: _Rpc) -> _RestRoute:
    http_method, path = _pattern(method, rule)
    where = f"{rpc.name} ({http_method} {path!r})"
    try:
        template = parse_template(path)
    except TemplateError as err:
        raise RestConfigError(f"{where}: {err}") from err
    request = method.input_type
    path_fields: dict[str, FieldPath] = {}
    for variable in template.variables:
        field_path = _resolve(request, variable.field_path, where)
        if field_path[-1].is_repeated or not settable_from_text(field_path[-1]):
            raise RestConfigError(
                f"{where}: path variable {{{variable.field_path}}} must name a singular scalar, enum, "
                "Timestamp, Duration, FieldMask or wrapper field"
            )
        path_fields[variable.field_path] = field_path
    body = _body_path(request, rule.body, where)
    if body is not None and http_method == "GET":
        raise RestConfigError(f"{where}: a GET rule cannot take a body")
    if body:
        for name, field_path in path_fields.items():
            if overlaps(body, field_path):
                raise RestConfigError(f"{where}: field {name} is bound by both the path and the body")
    response_body = _resolve(method.output_type, rule.response_body, where) if rule.response_body else ()
    request_binding = RequestBinding(
        f"{http_method} {template}", request, rpc.request_class, path_fields, body
    )
    return _RestRoute(http_method, template, rpc, request_binding, response_body)


def _pattern(method: MethodDescriptor, rule: http_pb2.HttpRule) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        raise RestConfigError(
            f"{method.full_name}: http rule sets none of get, put, post, delete, patch, custom"
        )
    if kind != "custom":
        return kind.upper(), str(getattr(rule, kind))
    custom_kind = rule.custom.kind
    if custom_kind != "*" and not _HTTP_TOKEN.fullmatch(custom_kind):
        raise RestConfigError(f"{method.full_name}: custom http method {custom_kind!r} is not an HTTP token")
    return custom_kind.upper(), rule.custom.path


def _body_path(request: Descriptor, body: str, where: str) -> FieldPath | None:
    if not body:
        return None
    if body == "*":
        return ()
    return _resolve(request, body, where)


def _resolve(message: Descriptor, dotted: str, where: str) -> FieldPath:
    """Proto field names "a.b" -> descriptors; every step but the last must be a singular message."""
    path: list[FieldDescriptor] = []
    current: Descriptor | None = message
    for name in dotted.split("."):
        if current is None or (path and not is_singular_message(path[-1])):
            raise RestConfigError(
                f"{where}: {'.'.join(f.name for f in path)} is not a singular message field"
            )
        field = current.fields_by_name.get(name)
        if field is None:
            raise RestConfigError(f"{where}: {current.full_name} has no field {name!r}")
        path.append(field)
        current = field.message_type
    return tuple(path)


# --- Serving the compiled routes ---------------------------------------------------------------


class _TranscodingRoute(BaseRoute):
    """Every transcoded route in one Starlette route, so 405 can list all methods of a path."""

    def __init__(
        self,
        routes: Sequence[_RestRoute],
        logger: logging.Logger,
        max_body_size: int,
        default_timeout: float | None,
    ) -> None:
        self._routes = tuple(routes)
        self._logger = logger
        self._max_body_size = max_body_size
        self._default_timeout = default_timeout

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
        matched: tuple[_RestRoute, dict[str, str]] | None = scope.get(_MATCH_KEY)
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
        self, route: _RestRoute, variables: Mapping[str, str], request: Request, receive: Receive
    ) -> Response | None:
        """The response, or None when the client went away (its work is cancelled, nothing is sent).

        A request that cannot be built still runs the chain (``CallContext.reject``), so it is
        authenticated, counted and logged like any call before it ends with its 400 (or 413).
        """
        context = context_for(request, self._default_timeout)
        try:
            message = await build_request(route.request, variables, request, self._max_body_size)
        except StatusError as err:
            message = route.rpc.request_class()
            if context.rejection is None:
                context.reject(AbortError(err.code, err.message, http_status=err.http_status))
        except ClientDisconnect:
            self._logger.info("%s: the client disconnected while sending its request", route.rpc.name)
            return None
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

    async def _call(self, route: _RestRoute, message: Message, context: CallContext) -> Response:
        rpc = route.rpc
        try:
            result = await rpc.handler(message, context)
        except AbortError as aborted:
            headers = dict((*context.response_headers, *aborted.headers))
            return status_response(
                aborted.code, aborted.details, http_status=aborted.http_status, headers=headers
            )
        try:
            body = render(result, route.response_body)
        except Exception:
            self._logger.exception("%s: cannot encode the response as JSON", rpc.name)
            return status_response(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)
        return JSONResponse(body, headers=dict(context.response_headers))


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
