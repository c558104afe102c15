"""The blocking REST client: the same calls and results as ``AegisClient``, over HTTP/JSON (httpx).

For places where only HTTP gets through (a proxy, a CI runner behind a gateway). Each call's
route comes from its method's ``google.api.http`` rule, parsed by the server's own template
grammar (``aegis.api.httprule``), so client and server read one contract. Errors are the
server's google.rpc.Status bodies, raised as the same ``AegisError`` classes as over gRPC;
the remaining deadline travels as ``Grpc-Timeout``, which the server honours.

    with RestClient("https://aegis.internal", api_key=KEY) as client:
        print(client.decide("checkout-availability").decision)
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import grpc
import httpx
from google.api import annotations_pb2
from google.protobuf import json_format
from google.protobuf.message import Message

from aegis.api.errors import code_for_http_status
from aegis.api.httprule import Literal, Variable, parse_template
from aegis.client import _calls
from aegis.client.deployment import Deployment
from aegis.client.errors import AegisError, error_for, error_for_code_number
from aegis.client.options import TLS, auth_metadata
from aegis.client.results import Evaluation, ServiceState, SLOSummary
from aegis.client.retry import RetryPolicy
from aegis.client.sync import DEFAULT_TIMEOUT
from aegis.v1 import audit_pb2, replay_pb2

__all__ = ["RestClient"]

T = TypeVar("T")


class RestClient:
    """HTTP/JSON calls to one server's REST port; ``url`` is its base, e.g. ``http://aegis:8080``."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        tls: TLS | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        """``tls``: the CA to trust and a client certificate for an https URL (files, see ``TLS``)."""
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers=dict(auth_metadata(api_key)),
            transport=transport,
            timeout=None,  # each attempt gets what is left of the call's timeout
            **_tls_arguments(tls),
        )
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng

    def decide(
        self,
        slo_id: str,
        *,
        fresh: bool = False,
        dry_run: bool = False,
        deployment: Deployment | None = None,
        timeout: float | None = None,
    ) -> Evaluation:
        return self._run(_calls.decide(slo_id, fresh, dry_run, deployment), timeout)

    def service_state(self, service: str, environment: str, *, timeout: float | None = None) -> ServiceState:
        return self._run(_calls.service_state(service, environment), timeout)

    def list_slos(self, *, timeout: float | None = None) -> tuple[SLOSummary, ...]:
        return self._run(_calls.list_slos(), timeout)

    def replay(
        self, request: replay_pb2.ReplayRequest, *, timeout: float | None = None
    ) -> replay_pb2.ReplayResponse:
        """What the policy would have decided over past data (docs/replay.md); a long span takes time."""
        return self._run(_calls.replay(request), timeout)

    def list_audit(
        self, request: audit_pb2.ListAuditRecordsRequest, *, timeout: float | None = None
    ) -> audit_pb2.ListAuditRecordsResponse:
        """One page of the audit (filters, page token) as the contract's message."""
        return self._run(_calls.list_audit(request), timeout)

    def verify_audit_chain(self, *, timeout: float | None = None) -> audit_pb2.VerifyAuditChainResponse:
        """Ask the server to prove its audit's hash chain (an API key with the admin scope)."""
        return self._run(_calls.verify_audit_chain(), timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _run(self, call: _calls.Call[T], timeout: float | None) -> T:
        route = _route(call)
        attempts = self._retry.start(
            self._timeout if timeout is None else timeout, clock=self._clock, rng=self._rng
        )
        while True:
            try:
                return call.parse(self._attempt(call, route, attempts.timeout(), attempts.made))
            except AegisError as error:
                delay = attempts.delay_before_retry(error)
                if delay is None:
                    raise
                self._sleep(delay)

    def _attempt(self, call: _calls.Call[Any], route: _Route, timeout: float | None, attempt: int) -> Message:
        headers = {"Grpc-Timeout": f"{max(int(timeout * 1000), 1)}m"} if timeout is not None else {}
        try:
            response = self._http.request(
                route.method, route.path, content=route.body, headers=headers, timeout=timeout
            )
        except httpx.TimeoutException as err:
            code = grpc.StatusCode.UNAVAILABLE if isinstance(err, httpx.ConnectTimeout) else None
            raise error_for(code or grpc.StatusCode.DEADLINE_EXCEEDED, str(err), attempts=attempt) from err
        except httpx.TransportError as err:
            raise error_for(grpc.StatusCode.UNAVAILABLE, f"{self.url}: {err}", attempts=attempt) from err
        if not response.is_success:
            raise _status_error(response, attempt)
        message = call.response_class()
        try:
            document = response.json()
            target = getattr(message, route.response_field) if route.response_field else message
            json_format.ParseDict(document, target, ignore_unknown_fields=True)
        except (ValueError, json_format.ParseError) as err:
            problem = f"the server's answer is not the contract's JSON: {err}"
            raise error_for(grpc.StatusCode.UNKNOWN, problem, attempts=attempt) from err
        return message


class _Route:
    def __init__(self, method: str, path: str, body: bytes | None, response_field: str) -> None:
        self.method = method
        self.path = path
        self.body = body
        self.response_field = response_field


def _route(call: _calls.Call[Any]) -> _Route:
    """The HTTP request for a call, from its method's http rule: path variables, then the body."""
    rule = call.method.GetOptions().Extensions[annotations_pb2.http]
    kind = rule.WhichOneof("pattern")
    if kind is None or kind == "custom":
        raise ValueError(f"{call.path} has no REST mapping this client can use")
    template = parse_template(getattr(rule, kind))
    fields = json_format.MessageToDict(call.request, preserving_proto_field_name=True)
    segments: list[str] = []
    for segment in template.segments:
        if isinstance(segment, Literal):
            segments.append(quote(segment.text, safe=""))
        elif isinstance(segment, Variable) and segment.is_single_segment and "." not in segment.field_path:
            segments.append(quote(str(fields.pop(segment.field_path, "")), safe=""))
        else:
            raise ValueError(f"{call.path}: path segment {segment} is not supported by this client")
    path = "/" + "/".join(segments) + (f":{template.verb}" if template.verb else "")
    body = None
    if rule.body == "*":
        body = json.dumps(fields).encode()  # what the path did not carry
    elif rule.body:
        raise ValueError(f"{call.path}: only whole-message bodies and path variables are supported")
    elif fields:
        path += "?" + urlencode(_query_parameters(call.request, fields))
    return _Route(kind.upper(), path, body, rule.response_body)


def _query_parameters(request: Message, fields: dict[str, Any]) -> list[tuple[str, str]]:
    """What the path did not carry, as query parameters under the JSON names (scalars only)."""
    document = json_format.MessageToDict(request)
    by_name = {field.name: field.json_name for field in request.DESCRIPTOR.fields}
    parameters: list[tuple[str, str]] = []
    for name in fields:
        value = document[by_name[name]]
        if isinstance(value, (dict, list)):
            raise ValueError(f"{name}: only scalar fields can be sent as query parameters")
        parameters.append((by_name[name], str(value).lower() if isinstance(value, bool) else str(value)))
    return parameters


def _status_error(response: httpx.Response, attempt: int) -> AegisError:
    """google.rpc.Status JSON -> its error; anything else (a proxy's page) by the HTTP status."""
    try:
        status = response.json()
        return error_for_code_number(int(status["code"]), str(status.get("message", "")), attempts=attempt)
    except (ValueError, KeyError, TypeError):
        code = code_for_http_status(response.status_code)
        if response.status_code in (502, 503):  # a proxy saying the server is not there
            code = grpc.StatusCode.UNAVAILABLE
        text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        return error_for(code, f"HTTP {response.status_code} {text}".strip(), attempts=attempt)


def _tls_arguments(tls: TLS | None) -> dict[str, Any]:
    """httpx's verify/cert from in-memory PEM (it wants an SSLContext for that)."""
    if tls is None:
        return {}
    import ssl
    import tempfile

    context = ssl.create_default_context()
    if tls.root_certificates is not None:
        context.load_verify_locations(cadata=tls.root_certificates.decode())
    if tls.certificate_chain is not None and tls.private_key is not None:
        # ssl loads a client certificate only from files.
        with tempfile.TemporaryDirectory() as directory:
            cert, key = f"{directory}/cert.pem", f"{directory}/key.pem"
            with open(cert, "wb") as out:
                out.write(tls.certificate_chain)
            with open(key, "wb") as out:
                out.write(tls.private_key)
            context.load_cert_chain(cert, key)
    return {"verify": context}
