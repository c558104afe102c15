"""The `google.api.http` rules of the servicers' descriptors, compiled into REST routes.

Every method with an http rule becomes one route per binding (the rule and its
additional_bindings): its path template parsed with the real grammar (aegis.api.httprule), its
path variables, body and response_body resolved against the request and response messages. A
rule that cannot be served is a RestConfigError at build time, so a broken contract stops the
server from starting instead of answering 404 forever.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message

from aegis.api._rest_binding import RequestBinding
from aegis.api._rest_text import FieldPath, is_singular_message, overlaps, settable_from_text
from aegis.api.grpc_transport import method_info
from aegis.api.httprule import PathTemplate, TemplateError, parse_template
from aegis.api.pipeline import Handler, Pipeline
from aegis.api.service_binding import ServiceBinding

__all__ = ["RestConfigError", "RestRoute", "Rpc", "compile_routes"]


class RestConfigError(ValueError):
    """An http rule that cannot be served (bad template, unknown field, clashing routes...)."""


@dataclass(frozen=True)
class Rpc:
    name: str
    handler: Handler  # the pipeline around the servicer method
    request_class: type[Message]
    response_class: type[Message]


@dataclass(frozen=True)
class RestRoute:
    """One (HTTP method, path template) pair of an http rule, resolved against the messages."""

    http_method: str  # upper case, or "*" (custom kind "*": any method)
    template: PathTemplate
    rpc: Rpc
    request: RequestBinding
    response_body: FieldPath  # (): the whole response

    @property
    def label(self) -> str:
        return self.request.label


_HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def compile_routes(bindings: Sequence[ServiceBinding], pipeline: Pipeline) -> list[RestRoute]:
    routes: list[RestRoute] = []
    seen: dict[tuple[str, str], RestRoute] = {}
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


def _resolve_rpc(method: MethodDescriptor, servicer: object, pipeline: Pipeline) -> Rpc:
    if method.client_streaming or method.server_streaming:
        raise RestConfigError(f"{method.full_name}: streaming methods cannot be transcoded to REST")
    handler = getattr(servicer, method.name, None)
    if not callable(handler):
        raise RestConfigError(
            f"{method.full_name}: servicer {type(servicer).__name__} has no method {method.name}"
        )
    return Rpc(
        name=method.full_name,
        handler=pipeline.handler(method_info(method), handler),
        request_class=message_factory.GetMessageClass(method.input_type),
        response_class=message_factory.GetMessageClass(method.output_type),
    )


def _compile_rule(method: MethodDescriptor, rule: http_pb2.HttpRule, rpc: Rpc) -> RestRoute:
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
    return RestRoute(http_method, template, rpc, request_binding, response_body)


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
