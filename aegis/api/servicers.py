"""Thin gRPC servicers: validate, ask the scheduler or the store, convert at the edge.

They know nothing of Prometheus or SQL, and fail only through
``context.abort``. Both surfaces call these very methods through the one request
pipeline, with a CallContext, so the same failure maps to the same gRPC status and
HTTP status.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NoReturn

import grpc

from aegis.api.answers import DecideAnswers
from aegis.api.convert import (
    chain_report_to_pb,
    decision_from_pb,
    decision_to_pb,
    deployment_from_pb,
    deployment_from_values,
    evaluation_to_pb,
    slo_to_pb,
    timestamp_from_pb,
    timestamp_to_pb,
)
from aegis.api.echo import echo
from aegis.api.flagger import parse_metadata
from aegis.api.gate_requests import GateRequestLog
from aegis.api.pipeline import CallContext
from aegis.engine import dry_run
from aegis.engine.model import DeploymentContext, Evaluation
from aegis.scheduler import Scheduler
from aegis.scheduler.journal import Journal, NoJournal
from aegis.scheduler.timing import Clock, utc_now
from aegis.spec.model import Decision
from aegis.store.base import DEFAULT_LIMIT, MAX_LIMIT, AuditQuery, AuditStore, InvalidQueryError, RecordKind
from aegis.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    evaluation_pb2,
    gate_pb2,
    gate_pb2_grpc,
    slo_pb2,
    slo_pb2_grpc,
)

Context = CallContext

# `total` is an int32 (proto3 JSON prints it as a number, not a string); a larger count saturates.
_INT32_MAX = 2**31 - 1


async def _abort(context: Context, code: grpc.StatusCode, message: str) -> NoReturn:
    await context.abort(code, message)
    raise AssertionError("context.abort returned")  # pragma: no cover - abort always raises


def _unknown_slo_message(slo_id: str, known: list[str]) -> str:
    hint = f"; known SLOs: {', '.join(known)}" if len(known) <= 20 else ""
    return f"no SLO with id {echo(slo_id)}{hint}"


class GateServicer(gate_pb2_grpc.GateServiceServicer):
    """Every gate request (Decide, FlaggerWebhook) is recorded through ``journal`` before it is
    answered: the evaluation that answered it, who asked (API key, deployment context) and when.
    Identical repeats share one record (aegis.api.gate_requests)."""

    def __init__(self, scheduler: Scheduler, journal: Journal | None = None, clock: Clock = utc_now) -> None:
        self._scheduler = scheduler
        self._requests = GateRequestLog(journal or NoJournal(), clock)
        self._answers = DecideAnswers(lambda: scheduler.catalog.entries.keys())

    async def Decide(self, request: gate_pb2.DecideRequest, context: Context) -> gate_pb2.DecideResponse:
        try:
            deployment = deployment_from_pb(request.deployment)
        except ValueError as err:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(err))
        evaluation = await self._decide(request.slo_id, request.force_fresh, context)
        recorded = dry_run.recorded(evaluation, dry_run.FROM_REQUEST) if request.dry_run else evaluation
        await self._record_request(recorded, deployment, context)
        # The same evaluation gets the same answer, encoded once (aegis.api.answers).
        encoded = self._answers.answer(evaluation, requested_dry_run=request.dry_run)
        return context.answer_with(encoded)  # type: ignore[return-value]

    async def _record_request(
        self, evaluation: Evaluation, deployment: DeploymentContext, context: Context
    ) -> None:
        principal = context.attributes.get("principal")
        await self._requests.record(evaluation, deployment, str(getattr(principal, "name", "") or ""))

    async def GetServiceState(
        self, request: gate_pb2.GetServiceStateRequest, context: Context
    ) -> gate_pb2.GetServiceStateResponse:
        if not request.service or not request.environment:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "service and environment are required")
        state = await self._service_state(request.service, request.environment, False, context)
        response = gate_pb2.GetServiceStateResponse(
            service=request.service,
            environment=request.environment,
            decision=decision_to_pb(state.decision),
            reasons=state.reasons,
            evaluations=[evaluation_to_pb(e) for e in state.evaluations],
            timestamp=timestamp_to_pb(datetime.now(UTC)),
            # v0.1.0's view of the same state: every member, and the decision of each evaluated one.
            slos=state.members,
            decisions={e.slo_id: decision_to_pb(e.decision) for e in state.evaluations},
        )
        if state.evaluations:
            response.last_updated.CopyFrom(timestamp_to_pb(max(e.timestamp for e in state.evaluations)))
        return response

    async def FlaggerWebhook(
        self, request: gate_pb2.FlaggerWebhookRequest, context: Context
    ) -> gate_pb2.FlaggerWebhookResponse:
        """A failing decision is FAILED_PRECONDITION (HTTP 400): Flagger halts on any status above 202."""
        try:
            gate = parse_metadata(request.metadata)
        except ValueError as err:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(err))
        try:
            deployment = deployment_from_values(_flagger_deployment(request, gate.deployment))
        except ValueError as err:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, f"webhook metadata: {err}")
        if gate.slo_id is not None:
            recorded = await self._decide(gate.slo_id, gate.fresh, context)
            evaluation = dry_run.answer(recorded)
            state = _State(evaluation.decision, list(evaluation.reasons), [evaluation], recorded=[recorded])
        else:
            assert gate.service is not None and gate.environment is not None
            state = await self._service_state(gate.service, gate.environment, gate.fresh, context)
        # One record per SLO answered, committed together (one group commit, not one each).
        await asyncio.gather(*(self._record_request(r, deployment, context) for r in state.recorded))
        if gate.fails(state.decision):
            message = f"{state.decision.name} {gate.target}: {'; '.join(state.reasons)}"
            await _abort(context, grpc.StatusCode.FAILED_PRECONDITION, message)
        return gate_pb2.FlaggerWebhookResponse(
            decision=decision_to_pb(state.decision),
            reasons=state.reasons,
            evaluations=[evaluation_to_pb(e) for e in state.evaluations],
        )

    async def _decide(self, raw_slo_id: str, fresh: bool, context: Context) -> Evaluation:
        slo_id = raw_slo_id.strip()
        if not slo_id:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "sloID is required")
        # The catalog's snapshot, not a copy: a lookup per decision, whatever the number of SLOs.
        entries = self._scheduler.catalog.entries
        if slo_id not in entries:
            await _abort(context, grpc.StatusCode.NOT_FOUND, _unknown_slo_message(slo_id, sorted(entries)))
        if fresh:
            return await self._scheduler.evaluate_now(slo_id)
        return await self._scheduler.current(slo_id)

    async def _service_state(self, service: str, environment: str, fresh: bool, context: Context) -> _State:
        """The worst decision of a service's SLOs (WARN for one not evaluated yet), with one reason per
        SLO that is not ALLOW; ``fresh`` evaluates them all now, concurrently. A gate answer: an SLO
        in dry run counts as ALLOW (its evaluation says what it would have been)."""
        members = sorted(
            slo_id
            for slo_id, slo in self._scheduler.slos.items()
            if slo.service == service and slo.environment == environment
        )
        if not members:
            await _abort(
                context,
                grpc.StatusCode.NOT_FOUND,
                f"no SLO for service {echo(service)} in environment {echo(environment)}",
            )
        if fresh:
            fresh_ones = await asyncio.gather(*(self._scheduler.evaluate_now(slo_id) for slo_id in members))
            latest: list[Evaluation | None] = list(fresh_ones)
        else:
            latest = [self._scheduler.latest(slo_id) for slo_id in members]
        state = _State(Decision.ALLOW, [], [], members)
        decisions: list[Decision] = []
        for slo_id, recorded in zip(members, latest, strict=True):
            if recorded is None:
                decisions.append(Decision.WARN)
                state.reasons.append(f"{slo_id}: not evaluated yet")
                continue
            evaluation = dry_run.answer(recorded)
            decisions.append(evaluation.decision)
            state.evaluations.append(evaluation)
            state.recorded.append(recorded)
            if evaluation.decision is not Decision.ALLOW:
                state.reasons.append(f"{slo_id}: {evaluation.decision.name}: {'; '.join(evaluation.reasons)}")
        state.decision = Decision.worst(decisions)
        state.reasons = state.reasons or ["all burn rate checks passed"]
        return state


@dataclass
class _State:
    decision: Decision
    reasons: list[str]
    evaluations: list[Evaluation]
    # Every SLO id behind the state, evaluated or not.
    members: list[str] = field(default_factory=list)
    # The evaluations as recorded (a dry run keeps the policy's decision), one per answer.
    recorded: list[Evaluation] = field(default_factory=list)


def _flagger_deployment(request: gate_pb2.FlaggerWebhookRequest, given: dict[str, str]) -> dict[str, str]:
    """The webhook's deployment context: its metadata, else what Flagger's payload says."""
    canary = f"{request.namespace}/{request.name}".strip("/")
    return {
        "deploymentID": given.get("deploymentID") or (f"flagger:{canary}" if canary else ""),
        "commit": given.get("commit") or request.checksum,
        "pipelineURL": given.get("pipelineURL", ""),
        "caller": given.get("caller") or (f"flagger {request.phase}".strip() if request.phase else "flagger"),
    }


class SLOServicer(slo_pb2_grpc.SLOServiceServicer):
    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler

    async def ListSLOs(self, request: slo_pb2.ListSLOsRequest, context: Context) -> slo_pb2.ListSLOsResponse:
        entries = self._scheduler.catalog.entries  # one snapshot: a reload cannot tear the list
        return slo_pb2.ListSLOsResponse(
            slos=[
                slo_to_pb(entries[slo_id].slo, self._scheduler.state(slo_id), entries[slo_id].load_error)
                for slo_id in sorted(entries)
            ]
        )

    async def GetSLO(self, request: slo_pb2.GetSLORequest, context: Context) -> slo_pb2.GetSLOResponse:
        if not request.id:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "id is required")
        entries = self._scheduler.catalog.entries
        entry = entries.get(request.id)
        if entry is None:
            unknown = _unknown_slo_message(request.id, sorted(entries))
            await _abort(context, grpc.StatusCode.NOT_FOUND, unknown)
        state = self._scheduler.state(entry.slo.id)
        return slo_pb2.GetSLOResponse(slo=slo_to_pb(entry.slo, state, entry.load_error))


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, store: AuditStore, logger: logging.Logger | None = None) -> None:
        self._store = store
        self._logger = logger or logging.getLogger(__name__)

    async def ListAuditRecords(
        self, request: audit_pb2.ListAuditRecordsRequest, context: Context
    ) -> audit_pb2.ListAuditRecordsResponse:
        query = await self._query(request, context)
        try:
            page = await self._store.query(query)
        except InvalidQueryError as err:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(err))
        except Exception:
            self._logger.exception("audit query failed")
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "the audit store is unavailable; try again")
        return audit_pb2.ListAuditRecordsResponse(
            records=[evaluation_to_pb(record) for record in page.records],
            next_page_token=page.next_page_token or "",
            total=min(page.total, _INT32_MAX),
        )

    async def VerifyAuditChain(
        self, request: audit_pb2.VerifyAuditChainRequest, context: Context
    ) -> audit_pb2.VerifyAuditChainResponse:
        expected = None
        if request.HasField("expected_head"):
            head = request.expected_head
            if head.sequence < 0 or len(head.record_hash) != 64:
                message = "expectedHead needs a sequence (0 or more) and a recordHash of 64 hex digits"
                await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, message)
            expected = (head.sequence, head.record_hash.lower())
        try:
            report = await self._store.verify_chain(expected)
        except Exception:
            self._logger.exception("audit chain verification failed")
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "the audit store is unavailable; try again")
        return chain_report_to_pb(report)

    async def _query(self, request: audit_pb2.ListAuditRecordsRequest, context: Context) -> AuditQuery:
        if request.limit < 0:
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"limit must be between 0 and {MAX_LIMIT}, got {request.limit}",
            )
        if request.offset < 0:
            message = f"offset must be 0 or more, got {request.offset}"
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, message)
        try:
            decision = decision_from_pb(request.decision)
        except KeyError:
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"decision must be ALLOW, WARN or BLOCK, got {request.decision}",
            )
        start = timestamp_from_pb(request.start_time) if request.HasField("start_time") else None
        end = timestamp_from_pb(request.end_time) if request.HasField("end_time") else None
        if start is not None and end is not None and start >= end:
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"startTime ({start.isoformat()}) must be before endTime ({end.isoformat()})",
            )
        return AuditQuery(
            slo_id=request.slo_id or None,
            service=request.service or None,
            environment=request.environment or None,
            decision=decision,
            start_time=start,
            end_time=end,
            limit=min(request.limit or DEFAULT_LIMIT, MAX_LIMIT),
            page_token=request.page_token or None,
            offset=request.offset,
            kind=_KINDS.get(request.kind),
            deployment_id=request.deployment_id or None,
            commit=request.commit or None,
            pipeline_url=request.pipeline_url or None,
            caller=request.caller or None,
            api_key_name=request.api_key_name or None,
        )


_KINDS = {
    evaluation_pb2.AUDIT_RECORD_KIND_EVALUATION: RecordKind.EVALUATION,
    evaluation_pb2.AUDIT_RECORD_KIND_GATE_REQUEST: RecordKind.GATE_REQUEST,
}
