"""The status page reads through the API: the same servicers, behind the same request pipeline.

Nothing on the page comes from anywhere a read-scope key could not read itself: each call runs the
pipeline's interceptors (request id, access log, metrics, drain, API keys and scopes, deadline)
with a context built from the page's HTTP request, exactly as a REST call of the same method. So
the page needs what the API needs (the ``read`` scope when keys are configured), its numbers are
the API's by construction, and every call it makes is logged and counted like any other.

A browser cannot send ``Authorization: Bearer``, but it can send HTTP Basic credentials after a
login prompt: the Basic password is taken as the API key (the user name is ignored).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf.message import Message
from starlette.requests import Request

from aegis.api.grpc_transport import method_info
from aegis.api.pipeline import CallContext, Handler, Metadata, Pipeline
from aegis.api.rest_context import context_for
from aegis.api.service_binding import ServiceBinding
from aegis.v1 import audit_pb2, evaluation_pb2, replay_pb2, slo_pb2

# Seconds a page may spend on its calls (the replay picture included).
PAGE_TIMEOUT = 30.0


@dataclass(frozen=True)
class _Methods:
    list_slos: Handler
    get_slo: Handler
    audit: Handler
    replay: Handler


class StatusCalls:
    """The four read methods the pages use, each a pipeline handler built once."""

    def __init__(self, bindings: Sequence[ServiceBinding], pipeline: Pipeline) -> None:
        handlers: dict[str, Handler] = {}
        for binding in bindings:
            for method in binding.descriptor.methods:
                handlers[method.full_name] = pipeline.handler(
                    method_info(method), getattr(binding.servicer, method.name)
                )
        self._methods = _Methods(
            list_slos=handlers["aegis.v1.SLOService.ListSLOs"],
            get_slo=handlers["aegis.v1.SLOService.GetSLO"],
            audit=handlers["aegis.v1.AuditService.ListAuditRecords"],
            replay=handlers["aegis.v1.ReplayService.Replay"],
        )

    async def list_slos(self, request: Request) -> list[slo_pb2.SLO]:
        response = await self._call(self._methods.list_slos, slo_pb2.ListSLOsRequest(), request)
        assert isinstance(response, slo_pb2.ListSLOsResponse)
        return list(response.slos)

    async def get_slo(self, request: Request, slo_id: str) -> slo_pb2.SLO:
        response = await self._call(self._methods.get_slo, slo_pb2.GetSLORequest(id=slo_id), request)
        assert isinstance(response, slo_pb2.GetSLOResponse)
        return response.slo

    async def audit(self, request: Request, slo_id: str, limit: int) -> list[evaluation_pb2.Evaluation]:
        """The newest evaluations of one SLO (among its ``limit`` newest records), newest first.

        Gate requests repeat the evaluation that answered them: a sparkline plots each evaluation once.
        """
        query = audit_pb2.ListAuditRecordsRequest(slo_id=slo_id, limit=limit)
        response = await self._call(self._methods.audit, query, request)
        assert isinstance(response, audit_pb2.ListAuditRecordsResponse)
        return [record for record in response.records if not record.HasField("gate_request")]

    async def replay(self, request: Request, query: replay_pb2.ReplayRequest) -> replay_pb2.ReplayResponse:
        response = await self._call(self._methods.replay, query, request)
        assert isinstance(response, replay_pb2.ReplayResponse)
        return response

    async def _call(self, handler: Handler, message: Message, request: Request) -> Message:
        """AbortError (401, 403, 404...) propagates: the page answers with that status."""
        return await handler(message, _context(request))


def _context(request: Request) -> CallContext:
    """A REST call's context with the page's deadline (a page does not read Grpc-Timeout)."""
    context = context_for(request, PAGE_TIMEOUT)
    return CallContext(
        surface="rest",
        metadata=_with_bearer(context.invocation_metadata()),
        peer=context.peer(),
        deadline=context.deadline,
    )


def _with_bearer(metadata: Metadata) -> Metadata:
    """``Authorization: Basic`` (a browser's login) becomes ``Bearer PASSWORD``; anything else stays."""
    out: list[tuple[str, str]] = []
    for key, value in metadata:
        if key == "authorization" and value.strip().lower().startswith("basic "):
            value = f"Bearer {_basic_password(value.strip()[6:].strip())}"
        out.append((key, value))
    return tuple(out)


def _basic_password(encoded: str) -> str:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]
