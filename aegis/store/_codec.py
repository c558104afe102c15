"""Evaluation <-> audit row, exactly: what goes in comes back equal.

JSON holds the nested evidence. Two details keep it lossless on both backends:
- non-finite floats (a burn rate can be infinite) become the strings "Infinity",
  "-Infinity" and "NaN", because PostgreSQL's ``json`` refuses bare ``Infinity``;
- ``burn_rates`` is a list of objects, not an object, so its order survives any
  backend or tool that sorts object keys (PostgreSQL's ``jsonb`` does).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aegis.engine.model import (
    BudgetOutcome,
    ChainLink,
    DeploymentContext,
    Evaluation,
    GateRequest,
    RuleOutcome,
    SLIResult,
    WindowBurn,
)
from aegis.spec.durations import Window
from aegis.spec.model import Decision

Row = dict[str, Any]


def evaluation_to_row(evaluation: Evaluation) -> Row:
    """The column values for one evaluation (keys are the column names)."""
    for name in ("timestamp", "data_timestamp"):
        moment = getattr(evaluation, name)
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(
                f"evaluation {evaluation.evaluation_id}: {name} must be timezone-aware, "
                f"got naive {moment.isoformat()}"
            )
    sli = evaluation.sli
    return {
        "id": evaluation.record_id,
        "slo_id": evaluation.slo_id,
        "service": evaluation.service,
        "environment": evaluation.environment,
        "decision": evaluation.decision.name,
        "evaluated_at": evaluation.timestamp,
        "ttl_seconds": evaluation.ttl_seconds,
        "sli_value": None if sli is None else sli.value,
        "sli_error_rate": None if sli is None else sli.error_rate,
        "sli_budget_remaining": None if sli is None else sli.budget_remaining,
        "sli_window_seconds": None if sli is None else sli.window.seconds,
        "is_stale": evaluation.is_stale,
        "has_no_traffic": evaluation.has_no_traffic,
        "has_missing_data": evaluation.has_missing_data,
        "has_too_few_data_points": evaluation.has_too_few_data_points,
        "has_clamped_data": evaluation.has_clamped_data,
        "reasons": list(evaluation.reasons),
        "burn_rates": [
            {
                "window": window,
                "burn_rate": _float_to_json(burn.burn_rate),
                "threshold": _float_to_json(burn.threshold),
            }
            for window, burn in evaluation.burn_rates.items()
        ],
        "rules": [_rule_to_json(rule) for rule in evaluation.rules],
        "data_timestamp": evaluation.data_timestamp,
        "dry_run": evaluation.dry_run,
        "would_be_decision": None
        if evaluation.would_be_decision is None
        else evaluation.would_be_decision.name,
        "budget_policy": None if evaluation.budget is None else _budget_to_json(evaluation.budget),
        **_gate_request_to_row(evaluation),
    }


def _gate_request_to_row(evaluation: Evaluation) -> Row:
    request = evaluation.gate_request
    if request is None:
        return dict.fromkeys(GATE_REQUEST_COLUMNS)
    if request.requested_at.utcoffset() is None:
        raise ValueError(f"gate request {request.record_id}: requested_at must be timezone-aware")
    context = request.deployment
    return {
        "evaluation_ref": evaluation.evaluation_id,
        "requested_at": request.requested_at,
        "deployment_id": context.deployment_id,
        "deploy_commit": context.commit,
        "pipeline_url": context.pipeline_url,
        "caller": context.caller,
        "api_key_name": request.api_key_name,
    }


# The columns of a gate request, NULL on an evaluation record.
GATE_REQUEST_COLUMNS = (
    "evaluation_ref",
    "requested_at",
    "deployment_id",
    "deploy_commit",
    "pipeline_url",
    "caller",
    "api_key_name",
)


def _gate_request_from_row(row: Mapping[Any, Any]) -> GateRequest | None:
    if row["evaluation_ref"] is None:
        return None
    return GateRequest(
        record_id=row["id"],
        requested_at=row["requested_at"],
        deployment=DeploymentContext(
            deployment_id=row["deployment_id"] or "",
            commit=row["deploy_commit"] or "",
            pipeline_url=row["pipeline_url"] or "",
            caller=row["caller"] or "",
        ),
        api_key_name=row["api_key_name"] or "",
    )


def _chain_from_row(row: Mapping[Any, Any]) -> ChainLink | None:
    if row.get("chain_seq") is None:
        return None
    return ChainLink(int(row["chain_seq"]), row["chain_prev_hash"], row["chain_hash"])


def row_to_evaluation(row: Mapping[Any, Any]) -> Evaluation:
    """The evaluation a row was made from."""
    return Evaluation(
        evaluation_id=row["evaluation_ref"] or row["id"],
        slo_id=row["slo_id"],
        service=row["service"],
        environment=row["environment"],
        decision=Decision[row["decision"]],
        timestamp=row["evaluated_at"],
        ttl_seconds=row["ttl_seconds"],
        sli=_sli_from_row(row),
        reasons=tuple(row["reasons"]),
        burn_rates={
            item["window"]: WindowBurn(
                burn_rate=_float_from_json(item["burn_rate"]),
                threshold=_float_from_json(item["threshold"]),
            )
            for item in row["burn_rates"]
        },
        rules=tuple(_rule_from_json(item) for item in row["rules"]),
        is_stale=bool(row["is_stale"]),
        has_no_traffic=bool(row["has_no_traffic"]),
        has_missing_data=bool(row["has_missing_data"]),
        has_too_few_data_points=bool(row["has_too_few_data_points"]),
        has_clamped_data=bool(row["has_clamped_data"]),
        data_timestamp=row["data_timestamp"],
        budget=_budget_from_json(row["budget_policy"]),
        dry_run=bool(row["dry_run"]),
        would_be_decision=None if row["would_be_decision"] is None else Decision[row["would_be_decision"]],
        gate_request=_gate_request_from_row(row),
        chain=_chain_from_row(row),
    )


def _sli_from_row(row: Mapping[Any, Any]) -> SLIResult | None:
    # The window, not the value, says whether there was an SLI: SQLite stores a
    # NaN REAL as NULL, so a NULL value beside a window can only have been NaN.
    window_seconds = row["sli_window_seconds"]
    if window_seconds is None:
        return None
    return SLIResult(
        value=_float_from_column(row["sli_value"]),
        error_rate=_float_from_column(row["sli_error_rate"]),
        budget_remaining=_float_from_column(row["sli_budget_remaining"]),
        window=Window(window_seconds),
    )


def _rule_to_json(rule: RuleOutcome) -> dict[str, Any]:
    return {
        "name": rule.name,
        "short_window": rule.short_window.seconds,
        "long_window": rule.long_window.seconds,
        "short_burn_rate": _float_to_json(rule.short_burn_rate),
        "long_burn_rate": _float_to_json(rule.long_burn_rate),
        "threshold": _float_to_json(rule.threshold),
        "action": rule.action.name,
        "fired": rule.fired,
        "evaluated": rule.evaluated,
    }


def _rule_from_json(item: Mapping[str, Any]) -> RuleOutcome:
    return RuleOutcome(
        name=item["name"],
        short_window=Window(item["short_window"]),
        long_window=Window(item["long_window"]),
        short_burn_rate=_float_from_json(item["short_burn_rate"]),
        long_burn_rate=_float_from_json(item["long_burn_rate"]),
        threshold=_float_from_json(item["threshold"]),
        action=Decision[item["action"]],
        fired=item["fired"],
        evaluated=item["evaluated"],
    )


def _optional_to_json(value: float | None) -> float | str | None:
    return None if value is None else _float_to_json(value)


def _optional_from_json(value: float | str | None) -> float | None:
    return None if value is None else _float_from_json(value)


def _budget_to_json(budget: BudgetOutcome) -> dict[str, Any]:
    return {
        "block_below": _optional_to_json(budget.block_below),
        "warn_below": _optional_to_json(budget.warn_below),
        "budget_remaining": _optional_to_json(budget.budget_remaining),
        "action": None if budget.action is None else budget.action.name,
    }


def _budget_from_json(item: Mapping[str, Any] | None) -> BudgetOutcome | None:
    if item is None:
        return None
    return BudgetOutcome(
        block_below=_optional_from_json(item["block_below"]),
        warn_below=_optional_from_json(item["warn_below"]),
        budget_remaining=_optional_from_json(item["budget_remaining"]),
        action=None if item["action"] is None else Decision[item["action"]],
    )


def _float_to_json(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _float_from_json(value: float | str) -> float:
    # float() reads both numbers and the three spellings _float_to_json writes.
    return float(value)


def _float_from_column(value: float | None) -> float:
    return math.nan if value is None else float(value)
