"""Turning a validated SLO document into the domain model, defaults applied.

Only called on documents that passed the schema and the semantic checks, so
it trusts types and ranges; the defaults here match the schema's ``default``s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aegis.spec.durations import Window
from aegis.spec.model import SLO, BurnRateRule, Decision, SLISpec, SLIType

DEFAULT_EVALUATION_INTERVAL = "1m"
DEFAULT_STALENESS_LIMIT = "10m"
DEFAULT_MIN_DATA_POINTS = 1
DEFAULT_ACTION = Decision.BLOCK

# Both apiVersions' type names; aegis.dev/v1's latency_threshold is today's latency.
SLI_TYPES = {
    "availability": SLIType.AVAILABILITY,
    "latency": SLIType.LATENCY,
    "latency_threshold": SLIType.LATENCY,
    "ratio": SLIType.RATIO,
}


def build_slo(document: Mapping[str, Any], source_file: str) -> SLO:
    metadata: Mapping[str, Any] = document["metadata"]
    spec: Mapping[str, Any] = document["spec"]
    return SLO(
        id=metadata["id"],
        name=metadata.get("name", ""),
        service=metadata["service"],
        environment=metadata["environment"],
        labels=dict(metadata.get("labels", {})),
        description=spec.get("description", ""),
        objective=float(spec["objective"]),
        window=Window.parse(spec["window"]),
        sli=_sli(spec["sli"]),
        burn_rate_rules=tuple(_rule(rule) for rule in spec["burnRateRules"]),
        evaluation_interval=Window.parse(spec.get("evaluationInterval", DEFAULT_EVALUATION_INTERVAL)),
        staleness_limit=Window.parse(spec.get("stalenessLimit", DEFAULT_STALENESS_LIMIT)),
        min_data_points=int(spec.get("minDataPoints", DEFAULT_MIN_DATA_POINTS)),
        source_file=source_file,
        api_version=document["apiVersion"],
    )


def _sli(sli: Mapping[str, Any]) -> SLISpec:
    threshold = sli.get("thresholdMs")
    return SLISpec(
        type=SLI_TYPES[sli["type"]],
        good_query=sli["goodQuery"],
        total_query=sli["totalQuery"],
        threshold_ms=None if threshold is None else float(threshold),
    )


def _rule(rule: Mapping[str, Any]) -> BurnRateRule:
    return BurnRateRule(
        name=rule["name"],
        short_window=Window.parse(rule["shortWindow"]),
        long_window=Window.parse(rule["longWindow"]),
        threshold=float(rule["threshold"]),
        action=Decision[rule["action"]] if "action" in rule else DEFAULT_ACTION,
    )
