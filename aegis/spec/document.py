"""An SLO model written back as a document of the one documented format (``aegis.slo/v1``).

Whatever format an SLO was loaded from, this is how it reads in ours: the document the format
registry would build the very same model from (``AEGIS_V1.build(aegis_document(slo))`` equals
``slo`` but for ``api_version``). Overrides (``aegis replay --set``) are applied to it, so a
changed field is checked by the format's own schema and model checks, with their messages.
"""

from __future__ import annotations

from typing import Any

from aegis.spec.model import DEFAULT_BACKEND, SLO, BurnRateRule, SLIType

API_VERSION = "aegis.slo/v1"


def aegis_document(slo: SLO) -> dict[str, Any]:
    """``slo`` as a mapping in the documented format; optional fields only when they are set."""
    metadata: dict[str, Any] = {"id": slo.id, "service": slo.service}
    for key, value in (("name", slo.name), ("owner", slo.owner), ("description", slo.description)):
        if value:
            metadata[key] = value
    if slo.labels:
        metadata["labels"] = dict(slo.labels)
    spec: dict[str, Any] = {
        "environment": slo.environment,
        "objective": slo.objective,
        "complianceWindow": slo.window.text,
        "evaluationInterval": slo.evaluation_interval.text,
        "sli": _sli(slo),
        "burnPolicy": {"rules": [_rule(rule) for rule in slo.burn_rate_rules]},
        "gating": {"minDataPoints": slo.min_data_points, "stalenessLimit": slo.staleness_limit.text},
    }
    if slo.budget_policy is not None:
        policy = {"blockBelow": slo.budget_policy.block_below, "warnBelow": slo.budget_policy.warn_below}
        spec["budgetPolicy"] = {key: value for key, value in policy.items() if value is not None}
    if slo.dry_run:
        spec["dryRun"] = True
    return {"apiVersion": API_VERSION, "kind": "SLO", "metadata": metadata, "spec": spec}


def _sli(slo: SLO) -> dict[str, Any]:
    sli: dict[str, Any] = {
        "type": slo.sli.type.value,
        "good": {"prometheusQuery": slo.sli.good_query},
        "total": {"prometheusQuery": slo.sli.total_query},
    }
    if slo.sli.backend != DEFAULT_BACKEND:
        sli["backend"] = slo.sli.backend
    if slo.sli.type is SLIType.LATENCY and slo.sli.threshold_ms is not None:
        # The schema wants whole milliseconds; a model from another format may carry a fraction.
        threshold = slo.sli.threshold_ms
        sli["thresholdMs"] = int(threshold) if threshold == int(threshold) else threshold
    return sli


def _rule(rule: BurnRateRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "shortWindow": rule.short_window.text,
        "longWindow": rule.long_window.text,
        "threshold": rule.threshold,
        "action": rule.action.name,
    }
