"""The AegisSLO format: the README's example and v0.1.0's schema, ``aegis.slo/v1`` or ``aegis.dev/v1``.

Both apiVersions have the same layout and SLI types; the JSON Schema
(``slo_v1.json``) checks structure and v0.1.0's limits, then the document is
turned into the model. Only ``action`` (BLOCK) and the optional metadata have
defaults: everything else v0.1.0 required is required.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aegis.spec.durations import Window
from aegis.spec.formats.base import Built, FieldMap
from aegis.spec.model import DEFAULT_BACKEND, SLO, BudgetPolicy, BurnRateRule, Decision, SLISpec, SLIType
from aegis.spec.problems import FieldIssue
from aegis.spec.schema import schema_issues

SCHEMA_RESOURCE = "slo_v1.json"
API_VERSIONS = ("aegis.slo/v1", "aegis.dev/v1")
DEFAULT_ACTION = Decision.BLOCK
# Both apiVersions accept all four names; latency_threshold is v0.1.0's name for latency.
SLI_TYPES = {
    "availability": SLIType.AVAILABILITY,
    "ratio": SLIType.RATIO,
    "latency": SLIType.LATENCY,
    "latency_threshold": SLIType.LATENCY,
}

_SPEC = ("spec",)
_RULE = ("spec", "burnPolicy", "rules", "*")
FIELDS = FieldMap(
    {
        ("id",): ("metadata", "id"),
        ("name",): ("metadata", "name"),
        ("service",): ("metadata", "service"),
        ("owner",): ("metadata", "owner"),
        ("description",): ("metadata", "description"),
        ("labels",): ("metadata", "labels"),
        ("environment",): (*_SPEC, "environment"),
        ("objective",): (*_SPEC, "objective"),
        ("window",): (*_SPEC, "complianceWindow"),
        ("evaluation_interval",): (*_SPEC, "evaluationInterval"),
        ("sli", "type"): (*_SPEC, "sli", "type"),
        ("sli", "threshold_ms"): (*_SPEC, "sli", "thresholdMs"),
        ("sli", "good_query"): (*_SPEC, "sli", "good", "prometheusQuery"),
        ("sli", "total_query"): (*_SPEC, "sli", "total", "prometheusQuery"),
        ("sli", "backend"): (*_SPEC, "sli", "backend"),
        ("burn_rate_rules",): (*_SPEC, "burnPolicy", "rules"),
        ("burn_rate_rules", "*"): _RULE,
        ("burn_rate_rules", "*", "name"): (*_RULE, "name"),
        ("burn_rate_rules", "*", "short_window"): (*_RULE, "shortWindow"),
        ("burn_rate_rules", "*", "long_window"): (*_RULE, "longWindow"),
        ("burn_rate_rules", "*", "threshold"): (*_RULE, "threshold"),
        ("burn_rate_rules", "*", "action"): (*_RULE, "action"),
        ("min_data_points",): (*_SPEC, "gating", "minDataPoints"),
        ("staleness_limit",): (*_SPEC, "gating", "stalenessLimit"),
        ("budget_policy",): (*_SPEC, "budgetPolicy"),
        ("budget_policy", "block_below"): (*_SPEC, "budgetPolicy", "blockBelow"),
        ("budget_policy", "warn_below"): (*_SPEC, "budgetPolicy", "warnBelow"),
        ("dry_run",): (*_SPEC, "dryRun"),
    }
)


class AegisFormat:
    """Claims ``apiVersion: aegis.slo/v1`` and ``aegis.dev/v1``; checks ``kind`` with the rest."""

    name = "AegisSLO"
    api_versions = API_VERSIONS

    def claims(self, document: Mapping[str, Any]) -> bool:
        return document.get("apiVersion") in API_VERSIONS

    def structure_issues(self, document: Mapping[str, Any]) -> list[FieldIssue]:
        return schema_issues(document, SCHEMA_RESOURCE)

    def build(self, document: Mapping[str, Any], source_file: str) -> list[Built]:
        metadata: Mapping[str, Any] = document["metadata"]
        spec: Mapping[str, Any] = document["spec"]
        gating: Mapping[str, Any] = spec["gating"]
        slo = SLO(
            id=metadata["id"],
            name=metadata.get("name", ""),
            service=metadata["service"],
            owner=metadata.get("owner", ""),
            description=metadata.get("description", ""),
            labels=dict(metadata.get("labels", {})),
            environment=spec["environment"],
            objective=float(spec["objective"]),
            window=Window.parse(spec["complianceWindow"]),
            evaluation_interval=Window.parse(spec["evaluationInterval"]),
            sli=_sli(spec["sli"]),
            burn_rate_rules=tuple(_rule(rule) for rule in spec["burnPolicy"]["rules"]),
            min_data_points=int(gating["minDataPoints"]),
            staleness_limit=Window.parse(gating["stalenessLimit"]),
            source_file=source_file,
            api_version=document["apiVersion"],
            budget_policy=_budget_policy(spec.get("budgetPolicy")),
            dry_run=bool(spec.get("dryRun", False)),
        )
        return [Built(slo, FIELDS)]


def _sli(sli: Mapping[str, Any]) -> SLISpec:
    threshold = sli.get("thresholdMs")
    return SLISpec(
        type=SLI_TYPES[sli["type"]],
        good_query=sli["good"]["prometheusQuery"],
        total_query=sli["total"]["prometheusQuery"],
        threshold_ms=None if threshold is None else float(threshold),
        backend=sli.get("backend", DEFAULT_BACKEND),
    )


def _budget_policy(policy: Mapping[str, Any] | None) -> BudgetPolicy | None:
    if policy is None:
        return None
    block, warn = policy.get("blockBelow"), policy.get("warnBelow")
    return BudgetPolicy(
        block_below=None if block is None else float(block),
        warn_below=None if warn is None else float(warn),
    )


def _rule(rule: Mapping[str, Any]) -> BurnRateRule:
    return BurnRateRule(
        name=rule["name"],
        short_window=Window.parse(rule["shortWindow"]),
        long_window=Window.parse(rule["longWindow"]),
        threshold=float(rule["threshold"]),
        action=Decision[rule["action"]] if "action" in rule else DEFAULT_ACTION,
    )


AEGIS_V1 = AegisFormat()
