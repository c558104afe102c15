"""Domain objects to protobuf messages, and back for the few request fields.

The only place besides the transcoder that touches pb2 types: the engine,
scheduler and store work on frozen dataclasses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from google.protobuf.timestamp_pb2 import Timestamp

from aegis.engine.model import BudgetOutcome, DeploymentContext, Evaluation, GateRequest, SLIResult
from aegis.scheduler import SLOState
from aegis.spec.model import SLO, Decision, SLIType
from aegis.v1 import audit_pb2, evaluation_pb2, slo_pb2

if TYPE_CHECKING:
    from aegis.store.verify import ChainReport

_DECISION_TO_PB: dict[Decision, evaluation_pb2.Decision] = {
    Decision.ALLOW: evaluation_pb2.ALLOW,
    Decision.WARN: evaluation_pb2.WARN,
    Decision.BLOCK: evaluation_pb2.BLOCK,
}
_PB_TO_DECISION: dict[int, Decision] = {value: key for key, value in _DECISION_TO_PB.items()}


def decision_to_pb(decision: Decision) -> evaluation_pb2.Decision:
    return _DECISION_TO_PB[decision]


def decision_from_pb(value: int) -> Decision | None:
    """None for DECISION_UNSPECIFIED; KeyError for a number the contract does not define."""
    if value == evaluation_pb2.DECISION_UNSPECIFIED:
        return None
    return _PB_TO_DECISION[value]


def timestamp_to_pb(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def timestamp_from_pb(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def evaluation_to_pb(evaluation: Evaluation) -> evaluation_pb2.Evaluation:
    message = evaluation_pb2.Evaluation(
        evaluation_id=evaluation.evaluation_id,
        slo_id=evaluation.slo_id,
        service=evaluation.service,
        environment=evaluation.environment,
        decision=decision_to_pb(evaluation.decision),
        timestamp=timestamp_to_pb(evaluation.timestamp),
        ttl=evaluation.ttl_seconds,
        reasons=list(evaluation.reasons),
        is_stale=evaluation.is_stale,
        has_no_traffic=evaluation.has_no_traffic,
        has_missing_data=evaluation.has_missing_data,
        has_too_few_data_points=evaluation.has_too_few_data_points,
        has_clamped_data=evaluation.has_clamped_data,
        id=evaluation.record_id,
    )
    message.sli.CopyFrom(sli_to_pb(evaluation.sli))
    for window, burn in evaluation.burn_rates.items():
        message.burn_rates[window].CopyFrom(
            evaluation_pb2.WindowBurnRate(burn_rate=burn.burn_rate, threshold=burn.threshold)
        )
    for rule in evaluation.rules:
        message.rules.append(
            evaluation_pb2.RuleResult(
                name=rule.name,
                short_window=rule.short_window.text,
                long_window=rule.long_window.text,
                short_burn_rate=rule.short_burn_rate,
                long_burn_rate=rule.long_burn_rate,
                threshold=rule.threshold,
                action=decision_to_pb(rule.action),
                fired=rule.fired,
                evaluated=rule.evaluated,
            )
        )
    if evaluation.data_timestamp is not None:
        message.data_timestamp.CopyFrom(timestamp_to_pb(evaluation.data_timestamp))
    if evaluation.budget is not None:
        message.budget_policy.CopyFrom(budget_to_pb(evaluation.budget))
    message.dry_run = evaluation.dry_run
    if evaluation.would_be_decision is not None:
        message.would_be_decision = decision_to_pb(evaluation.would_be_decision)
    if evaluation.gate_request is not None:
        message.gate_request.CopyFrom(gate_request_to_pb(evaluation.gate_request))
        message.record_kind = evaluation_pb2.AUDIT_RECORD_KIND_GATE_REQUEST
    elif evaluation.chain is not None:
        message.record_kind = evaluation_pb2.AUDIT_RECORD_KIND_EVALUATION
    if evaluation.chain is not None:
        link = evaluation.chain
        message.chain.CopyFrom(
            evaluation_pb2.AuditChainLink(
                sequence=link.sequence, previous_hash=link.previous_hash, record_hash=link.record_hash
            )
        )
    return message


def gate_request_to_pb(request: GateRequest) -> evaluation_pb2.GateRequestRecord:
    context = request.deployment
    message = evaluation_pb2.GateRequestRecord(
        deployment_id=context.deployment_id,
        commit=context.commit,
        pipeline_url=context.pipeline_url,
        caller=context.caller,
        api_key_name=request.api_key_name,
    )
    message.requested_at.CopyFrom(timestamp_to_pb(request.requested_at))
    return message


# Free text from pipelines goes into the audit: bounded, so a request cannot bloat it.
DEPLOYMENT_FIELD_MAX = 512


def deployment_from_pb(message: evaluation_pb2.DeploymentContext) -> DeploymentContext:
    """The request's context; ValueError naming the field that is too long."""
    values = {
        "deploymentID": message.deployment_id,
        "commit": message.commit,
        "pipelineURL": message.pipeline_url,
        "caller": message.caller,
    }
    return deployment_from_values(values)


def deployment_from_values(values: dict[str, str]) -> DeploymentContext:
    """From the contract's JSON names (``deploymentID``...); ValueError for a value too long."""
    for name, value in values.items():
        if len(value) > DEPLOYMENT_FIELD_MAX:
            raise ValueError(
                f"deployment.{name} is {len(value)} characters long; "
                f"at most {DEPLOYMENT_FIELD_MAX} are recorded"
            )
    return DeploymentContext(
        deployment_id=values.get("deploymentID", "").strip(),
        commit=values.get("commit", "").strip(),
        pipeline_url=values.get("pipelineURL", "").strip(),
        caller=values.get("caller", "").strip(),
    )


def budget_to_pb(budget: BudgetOutcome) -> evaluation_pb2.BudgetPolicyResult:
    message = evaluation_pb2.BudgetPolicyResult()
    if budget.block_below is not None:
        message.block_below = budget.block_below
    if budget.warn_below is not None:
        message.warn_below = budget.warn_below
    if budget.budget_remaining is not None:
        message.budget_remaining = budget.budget_remaining
    if budget.action is not None:
        message.action = decision_to_pb(budget.action)
    return message


def sli_to_pb(sli: SLIResult | None) -> evaluation_pb2.SLISummary:
    """Always a message, so that every decision and audit record carries its `sli` object.

    Without an SLI (no window had traffic or data) it holds v0.1.0's figures for zero
    traffic: no request failed, so the error rate is 0 and no budget was spent (1); the
    value 0 is v0.1.0's. The empty window is what tells it apart from a measured SLI.
    """
    if sli is None:
        return evaluation_pb2.SLISummary(value=0.0, error_rate=0.0, budget_remaining=1.0, window="")
    return evaluation_pb2.SLISummary(
        value=sli.value,
        error_rate=sli.error_rate,
        budget_remaining=sli.budget_remaining,
        window=sli.window.text,
    )


_SLI_TYPE_TEXT = {SLIType.AVAILABILITY: "availability", SLIType.LATENCY: "latency", SLIType.RATIO: "ratio"}


def slo_to_pb(slo: SLO, state: SLOState | None = None, load_error: str | None = None) -> slo_pb2.SLO:
    """The definition, with its status when ``state`` is given; ``load_error``: the SLO is the last
    good version of a file that no longer loads."""
    message = slo_pb2.SLO(
        id=slo.id,
        name=slo.name,
        service=slo.service,
        owner=slo.owner,
        environment=slo.environment,
        description=slo.description,
        objective=slo.objective,
        window=slo.window.text,
        sli=slo_pb2.SLI(
            type=_SLI_TYPE_TEXT[slo.sli.type],
            good_query=slo.sli.good_query,
            total_query=slo.sli.total_query,
            threshold_ms=slo.sli.threshold_ms or 0.0,
        ),
        burn_rate_rules=[
            slo_pb2.BurnRateRule(
                name=rule.name,
                short_window=rule.short_window.text,
                long_window=rule.long_window.text,
                threshold=rule.threshold,
                action=decision_to_pb(rule.action),
            )
            for rule in slo.burn_rate_rules
        ],
        evaluation_interval=slo.evaluation_interval.text,
        staleness_limit=slo.staleness_limit.text,
        min_data_points=slo.min_data_points,
        labels=dict(slo.labels),
        source_file=slo.source_file,
        dry_run=slo.dry_run,
        load_error=load_error or "",
        backend=slo.sli.backend,
    )
    policy = slo.budget_policy
    if policy is not None:
        message.budget_policy.SetInParent()
        if policy.block_below is not None:
            message.budget_policy.block_below = policy.block_below
        if policy.warn_below is not None:
            message.budget_policy.warn_below = policy.warn_below
    if state is None:
        return message
    if state.latest is not None:
        message.status.last_decision = decision_to_pb(state.latest.decision)
        message.status.last_evaluated_at.CopyFrom(timestamp_to_pb(state.latest.timestamp))
    message.status.last_error = state.last_error or ""
    return message


def chain_report_to_pb(report: ChainReport) -> audit_pb2.VerifyAuditChainResponse:
    def link(place: tuple[int, str]) -> evaluation_pb2.AuditChainLink:
        return evaluation_pb2.AuditChainLink(sequence=place[0], record_hash=place[1])

    response = audit_pb2.VerifyAuditChainResponse(
        intact=report.intact,
        records_checked=report.records_checked,
        anchor=link(report.anchor),
        head=link(report.head),
        unchained_records=report.unchained,
        expected_head_problem=report.expected_head_problem or "",
    )
    if report.first_broken is not None:
        broken = report.first_broken
        response.first_broken.CopyFrom(
            audit_pb2.BrokenAuditRecord(sequence=broken.sequence, id=broken.record_id, problem=broken.problem)
        )
    return response
