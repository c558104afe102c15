"""The RPCs the clients make, each as a method descriptor, a request and a parser of the answer.

Every transport (blocking gRPC, asyncio gRPC, REST) runs the same ``Call``: the gRPC ones by the
method's path, REST by the method's ``google.api.http`` rule, so no client keeps a route table of
its own and a result is parsed by one function whatever carried it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import grpc
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from aegis.client.deployment import Deployment
from aegis.client.errors import AegisError, error_for
from aegis.client.results import Evaluation, ServiceState, SLOSummary
from aegis.v1 import audit_pb2, gate_pb2, replay_pb2, slo_pb2

__all__ = [
    "Call",
    "decide",
    "error_from_rpc",
    "list_audit",
    "list_slos",
    "replay",
    "service_state",
    "verify_audit_chain",
]

T = TypeVar("T")

_GATE = gate_pb2.DESCRIPTOR.services_by_name["GateService"]
_SLO = slo_pb2.DESCRIPTOR.services_by_name["SLOService"]
_REPLAY = replay_pb2.DESCRIPTOR.services_by_name["ReplayService"]
_AUDIT = audit_pb2.DESCRIPTOR.services_by_name["AuditService"]


@dataclass(frozen=True)
class Call(Generic[T]):
    method: MethodDescriptor
    request: Message
    response_class: type[Message]
    parse: Callable[[Any], T]

    @property
    def path(self) -> str:
        """gRPC's method path, e.g. ``/aegis.v1.GateService/Decide``."""
        return f"/{self.method.containing_service.full_name}/{self.method.name}"


def _evaluation(response: gate_pb2.DecideResponse) -> Evaluation:
    if not response.HasField("evaluation"):
        raise error_for(grpc.StatusCode.UNKNOWN, "the server answered Decide without an evaluation")
    return Evaluation.from_proto(response.evaluation)


def decide(
    slo_id: str, fresh: bool, dry_run: bool = False, deployment: Deployment | None = None
) -> Call[Evaluation]:
    request = gate_pb2.DecideRequest(slo_id=slo_id, force_fresh=fresh, dry_run=dry_run)
    if deployment:
        request.deployment.CopyFrom(deployment.to_proto())
    return Call(
        _GATE.methods_by_name["Decide"],
        request,
        gate_pb2.DecideResponse,
        _evaluation,
    )


def service_state(service: str, environment: str) -> Call[ServiceState]:
    return Call(
        _GATE.methods_by_name["GetServiceState"],
        gate_pb2.GetServiceStateRequest(service=service, environment=environment),
        gate_pb2.GetServiceStateResponse,
        ServiceState.from_proto,
    )


def _slos(response: slo_pb2.ListSLOsResponse) -> tuple[SLOSummary, ...]:
    return tuple(SLOSummary.from_proto(slo) for slo in response.slos)


def list_slos() -> Call[tuple[SLOSummary, ...]]:
    return Call(_SLO.methods_by_name["ListSLOs"], slo_pb2.ListSLOsRequest(), slo_pb2.ListSLOsResponse, _slos)


def _replay(response: replay_pb2.ReplayResponse) -> replay_pb2.ReplayResponse:
    return response


def replay(request: replay_pb2.ReplayRequest) -> Call[replay_pb2.ReplayResponse]:
    """The replay as the contract's message: its steps and picture are data to print or save, as is."""
    return Call(_REPLAY.methods_by_name["Replay"], request, replay_pb2.ReplayResponse, _replay)


def _same(response: Message) -> Any:
    return response


def list_audit(request: audit_pb2.ListAuditRecordsRequest) -> Call[audit_pb2.ListAuditRecordsResponse]:
    """One page of the audit as the contract's message (records, next_page_token, total)."""
    return Call(
        _AUDIT.methods_by_name["ListAuditRecords"], request, audit_pb2.ListAuditRecordsResponse, _same
    )


def verify_audit_chain() -> Call[audit_pb2.VerifyAuditChainResponse]:
    """The server walks its audit's hash chain (admin scope); the verdict as the contract's message."""
    return Call(
        _AUDIT.methods_by_name["VerifyAuditChain"],
        audit_pb2.VerifyAuditChainRequest(),
        audit_pb2.VerifyAuditChainResponse,
        _same,
    )


def error_from_rpc(err: grpc.RpcError, attempts: int) -> AegisError:
    """The typed error for a failed gRPC call (grpc.RpcError and grpc.aio.AioRpcError alike)."""
    code = err.code() if callable(getattr(err, "code", None)) else grpc.StatusCode.UNKNOWN
    details = err.details() if callable(getattr(err, "details", None)) else str(err)
    return error_for(code, details or "", attempts=attempts)
