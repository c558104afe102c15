"""One mistake at a time on an otherwise valid SLO: which field is blamed and what the message says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aegis.spec.loader import load_file
from tests.spec.conftest import WriteYaml
from tests.spec.samples import valid_document

Mutation = Callable[[dict[str, Any]], None]


def _set(*path: str | int, value: Any) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def _delete(*path: str | int) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


def _both(*mutations: Mutation) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(document)

    return mutate


RULES = ("spec", "burnPolicy", "rules")
RULE0 = (*RULES, 0)
SLI = ("spec", "sli")
GOOD = (*SLI, "good", "prometheusQuery")
TOTAL = (*SLI, "total", "prometheusQuery")
GATING = ("spec", "gating")
R0 = "spec.burnPolicy.rules[0]"

CASES: list[tuple[str, Mutation, str, str]] = [
    # (case id, mutation, expected path, message fragment)
    ("unknown-top-level", _set("specs", value={}), "specs", "unknown field 'specs'; did you mean 'spec'?"),
    (
        "unknown-metadata",
        _set("metadata", "team", value="x"),
        "metadata.team",
        "expected one of: id, service",
    ),
    (
        "unknown-sli-snake-case",
        _set(*SLI, "threshold_ms", value=1),
        "spec.sli.threshold_ms",
        "'thresholdMs'?",
    ),
    (
        "unknown-query-field",
        _set(*SLI, "good", "promQuery", value="x"),
        "spec.sli.good.promQuery",
        "did you mean",
    ),
    ("unknown-rule-case", _set(*RULE0, "ShortWindow", value="5m"), f"{R0}.ShortWindow", "'shortWindow'?"),
    (
        "unknown-gating",
        _set(*GATING, "min_data_points", value=1),
        "spec.gating.min_data_points",
        "did you mean 'minDataPoints'?",
    ),
    ("missing-metadata", _delete("metadata"), "metadata", "required field is missing"),
    ("missing-service", _delete("metadata", "service"), "metadata.service", "required field is missing"),
    ("missing-environment", _delete("spec", "environment"), "spec.environment", "required field is missing"),
    ("missing-burn-policy", _delete("spec", "burnPolicy"), "spec.burnPolicy", "required field is missing"),
    ("missing-rules", _delete("spec", "burnPolicy", "rules"), "spec.burnPolicy.rules", "required field"),
    ("missing-gating", _delete("spec", "gating"), "spec.gating", "required field is missing"),
    ("missing-staleness", _delete(*GATING, "stalenessLimit"), "spec.gating.stalenessLimit", "required field"),
    ("missing-interval", _delete("spec", "evaluationInterval"), "spec.evaluationInterval", "required field"),
    ("missing-query", _delete(*SLI, "good", "prometheusQuery"), "spec.sli.good.prometheusQuery", "required"),
    ("no-rules", _set(*RULES, value=[]), "spec.burnPolicy.rules", "a list of 1 to 50 burn-rate rules"),
    (
        "too-many-rules",
        _set(
            *RULES,
            value=[
                {"name": f"r{i}", "shortWindow": "5m", "longWindow": "1h", "threshold": 1} for i in range(51)
            ],
        ),
        "spec.burnPolicy.rules",
        "1 to 50 burn-rate rules",
    ),
    ("rules-not-list", _set(*RULES, value={}), "spec.burnPolicy.rules", "found an empty mapping"),
    ("id-too-long", _set("metadata", "id", value="a" * 129), "metadata.id", "3 to 128 characters"),
    ("id-too-short", _set("metadata", "id", value="ab"), "metadata.id", "3 to 128 characters"),
    (
        "id-leading-dash",
        _set("metadata", "id", value="-api"),
        "metadata.id",
        "starting with a letter or digit",
    ),
    ("id-space", _set("metadata", "id", value="api gateway"), "metadata.id", "found 'api gateway'"),
    ("id-number", _set("metadata", "id", value=42), "metadata.id", "found 42 (an integer)"),
    ("empty-service", _set("metadata", "service", value=""), "metadata.service", "1 to 128 characters"),
    ("long-service", _set("metadata", "service", value="s" * 129), "metadata.service", "1 to 128 characters"),
    ("empty-owner", _set("metadata", "owner", value=""), "metadata.owner", "1 to 128 characters"),
    (
        "long-description",
        _set("metadata", "description", value="d" * 2049),
        "metadata.description",
        "at most 2048 characters",
    ),
    (
        "long-environment",
        _set("spec", "environment", value="e" * 65),
        "spec.environment",
        "1 to 64 characters",
    ),
    (
        "label-int",
        _set("metadata", "labels", value={"tier": 1}),
        "metadata.labels.tier",
        "found 1 (an integer)",
    ),
    (
        "label-bool-key",
        _set("metadata", "labels", value={True: "x"}),
        "metadata.labels.True",
        "text field name",
    ),
    ("objective-zero", _set("spec", "objective", value=0), "spec.objective", "found 0 (an integer)"),
    ("objective-one", _set("spec", "objective", value=1), "spec.objective", "strictly between 0 and 1"),
    (
        "objective-string",
        _set("spec", "objective", value="99.9%"),
        "spec.objective",
        "found '99.9%' (a string)",
    ),
    ("objective-bool", _set("spec", "objective", value=True), "spec.objective", "found true (a boolean)"),
    (
        "objective-nan",
        _set("spec", "objective", value=float("nan")),
        "spec.objective",
        "expected a finite number",
    ),
    ("threshold-zero", _set(*RULE0, "threshold", value=0), f"{R0}.threshold", "0.0001 to 100000, found 0"),
    ("threshold-huge", _set(*RULE0, "threshold", value=100001), f"{R0}.threshold", "0.0001 to 100000"),
    ("threshold-inf", _set(*RULE0, "threshold", value=float("inf")), f"{R0}.threshold", "found inf"),
    ("threshold-nan", _set(*RULE0, "threshold", value=float("nan")), f"{R0}.threshold", "finite"),
    ("threshold-string", _set(*RULE0, "threshold", value="14.4x"), f"{R0}.threshold", "'14.4x'"),
    ("rule-name-empty", _set(*RULE0, "name", value=""), f"{R0}.name", "1 to 128 characters"),
    ("action-lower", _set(*RULE0, "action", value="warn"), f"{R0}.action", "did you mean 'WARN'?"),
    ("window-zero", _set("spec", "complianceWindow", value="0d"), "spec.complianceWindow", "found '0d'"),
    (
        "window-fraction",
        _set("spec", "complianceWindow", value="1.5h"),
        "spec.complianceWindow",
        "like 30s, 5m",
    ),
    (
        "window-number",
        _set("spec", "complianceWindow", value=30),
        "spec.complianceWindow",
        "found 30 (an integer)",
    ),
    (
        "window-too-long",
        _set("spec", "complianceWindow", value="366d"),
        "spec.complianceWindow",
        "1s to 365d",
    ),
    (
        "window-ten-digits",
        _set("spec", "complianceWindow", value="1000000000s"),
        "spec.complianceWindow",
        "like",
    ),
    ("short-window-bad", _set(*RULE0, "shortWindow", value="5min"), f"{R0}.shortWindow", "'5min'"),
    (
        "eval-interval-bad",
        _set("spec", "evaluationInterval", value="1 m"),
        "spec.evaluationInterval",
        "'1 m'",
    ),
    (
        "eval-interval-weeks",
        _set("spec", "evaluationInterval", value="3551w"),
        "spec.evaluationInterval",
        "to 24h",
    ),
    (
        "eval-interval-day",
        _set("spec", "evaluationInterval", value="25h"),
        "spec.evaluationInterval",
        "found 25h",
    ),
    (
        "staleness-bad",
        _set(*GATING, "stalenessLimit", value="10"),
        "spec.gating.stalenessLimit",
        "found '10'",
    ),
    ("staleness-long", _set(*GATING, "stalenessLimit", value="8d"), "spec.gating.stalenessLimit", "1s to 7d"),
    (
        "min-points-zero",
        _set(*GATING, "minDataPoints", value=0),
        "spec.gating.minDataPoints",
        "1 to 1000, found 0",
    ),
    ("min-points-big", _set(*GATING, "minDataPoints", value=1001), "spec.gating.minDataPoints", "1 to 1000"),
    (
        "min-points-fraction",
        _set(*GATING, "minDataPoints", value=1.5),
        "spec.gating.minDataPoints",
        "whole number",
    ),
    ("windows-equal", _set(*RULE0, "longWindow", value="5m"), f"{R0}.shortWindow", "shorter than"),
    (
        "windows-same-length",
        _set(*RULE0, "longWindow", value="300s"),
        f"{R0}.shortWindow",
        "(300s), found 5m",
    ),
    (
        "long-window-over-compliance",
        _both(_set("spec", "complianceWindow", value="1d"), _set(*RULE0, "longWindow", value="25h")),
        f"{R0}.longWindow",
        "compliance window spec.complianceWindow (1d), found 25h",
    ),
    ("sli-type-unknown", _set(*SLI, "type", value="errors"), "spec.sli.type", "availability, ratio, latency"),
    (
        "sli-type-typo",
        _set(*SLI, "type", value="availabilty"),
        "spec.sli.type",
        "did you mean 'availability'?",
    ),
    (
        "latency-without-threshold",
        _set(*SLI, "type", value="latency"),
        "spec.sli.thresholdMs",
        "latency SLIs need",
    ),
    (
        "legacy-latency-without-threshold",
        _both(_set("apiVersion", value="aegis.dev/v1"), _set(*SLI, "type", value="latency_threshold")),
        "spec.sli.thresholdMs",
        "latency SLIs need thresholdMs",
    ),
    (
        "legacy-ratio-with-threshold",
        _both(
            _set("apiVersion", value="aegis.dev/v1"),
            _set(*SLI, "type", value="ratio"),
            _set(*SLI, "thresholdMs", value=1),
        ),
        "spec.sli.thresholdMs",
        "only applies to latency and latency_threshold",
    ),
    (
        "latency-threshold-zero",
        _both(_set(*SLI, "type", value="latency"), _set(*SLI, "thresholdMs", value=0)),
        "spec.sli.thresholdMs",
        "from 1 to 600000, found 0",
    ),
    (
        "latency-threshold-fraction",
        _both(_set(*SLI, "type", value="latency"), _set(*SLI, "thresholdMs", value=0.5)),
        "spec.sli.thresholdMs",
        "whole number of milliseconds",
    ),
    (
        "latency-threshold-huge",
        _both(_set(*SLI, "type", value="latency_threshold"), _set(*SLI, "thresholdMs", value=600001)),
        "spec.sli.thresholdMs",
        "1 to 600000",
    ),
    (
        "ratio-with-threshold",
        _both(_set(*SLI, "type", value="ratio"), _set(*SLI, "thresholdMs", value=5)),
        "spec.sli.thresholdMs",
        "expected no thresholdMs",
    ),
    ("empty-query", _set(*GOOD, value=""), "spec.sli.good.prometheusQuery", "1 to 10000 characters"),
    ("long-query", _set(*GOOD, value="x" * 10001), "spec.sli.good.prometheusQuery", "1 to 10000 characters"),
    (
        "template-typo",
        _set(*TOTAL, value="sum(x[{{windw}}])"),
        "spec.sli.total.prometheusQuery",
        "did you mean '{{window}}'?",
    ),
    (
        "template-spaces",
        _set(*GOOD, value="sum(x[{{ window }}])"),
        "spec.sli.good.prometheusQuery",
        "found '{{ window }}'",
    ),
    (
        "template-threshold-non-latency",
        _set(*GOOD, value='x{le="{{threshold}}"}'),
        "spec.sli.good.prometheusQuery",
        "only in latency SLIs",
    ),
    (
        "duplicate-rule-name",
        _set(*RULES, 1, "name", value="fast-burn"),
        "spec.burnPolicy.rules[1].name",
        "again",
    ),
    (
        "rule-not-mapping",
        _set(*RULES, 1, value="slow-burn"),
        "spec.burnPolicy.rules[1]",
        "expected a mapping",
    ),
    ("kind-missing", _delete("kind"), "kind", "required field is missing"),
    ("api-version-missing", _delete("apiVersion"), "apiVersion", "required field is missing"),
    (
        "api-version-typo",
        _set("apiVersion", value="aegis.slo/V1"),
        "apiVersion",
        "did you mean 'aegis.slo/v1'?",
    ),
    # openslo/v1 is a format of its own now (test_openslo_sloth.py); its alpha is nobody's.
    (
        "api-version-openslo-alpha",
        _set("apiVersion", value="openslo/v1alpha"),
        "apiVersion",
        "found 'openslo/v1alpha' (a string); did you mean 'openslo/v1'?",
    ),
    ("spec-null", _set("spec", value=None), "spec", "found nothing (an empty value)"),
]


@pytest.mark.parametrize(("mutation", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_load_file_single_mistake_reports_one_problem_on_its_field(
    write_yaml: WriteYaml, mutation: Mutation, path: str, fragment: str
) -> None:
    document = valid_document()
    mutation(document)

    result = load_file(write_yaml("slo.yaml", document))

    assert result.slos == ()
    assert [p.path for p in result.problems] == [path], [str(p) for p in result.problems]
    assert fragment in result.problems[0].message
    assert " (line " in result.problems[0].message


@pytest.mark.parametrize(
    "mutation",
    [
        _set("spec", "objective", value=0.5),
        _set("spec", "objective", value=0.99999),
        _set(*RULE0, "longWindow", value="30d"),
        _set(*GATING, "minDataPoints", value=1000),
        _set(*GATING, "minDataPoints", value=3.0),
        _set(*GATING, "stalenessLimit", value="7d"),
        _set(*RULE0, "action", value="ALLOW"),
        _set(*RULE0, "threshold", value=0.0001),
        _set(*RULE0, "threshold", value=100000),
        _set("metadata", "id", value="a" * 128),
        _set("metadata", "id", value="9ab"),
        _set("metadata", "id", value="Checkout_Availability.v2"),
        _set("metadata", "labels", value={}),
        _set(*GOOD, value="sum(rate(x{a=~'{b}'}[{{window}}]))"),
        _both(_set(*SLI, "type", value="latency"), _set(*SLI, "thresholdMs", value=600000)),
        _both(_set(*SLI, "type", value="latency_threshold"), _set(*SLI, "thresholdMs", value=1)),
        _set("spec", "complianceWindow", value="365d"),
        _set("spec", "complianceWindow", value="52w"),
        _set("spec", "evaluationInterval", value="24h"),
        _set("spec", "evaluationInterval", value="1d"),
        _set("spec", "evaluationInterval", value="05m"),
        _set("apiVersion", value="aegis.dev/v1"),
    ],
    ids=[
        "objective-half",
        "objective-five-nines",
        "window-equal-compliance",
        "min-points-1000",
        "min-points-float-whole",
        "staleness-7d",
        "action-allow",
        "threshold-smallest",
        "threshold-largest",
        "id-128",
        "id-digit-first",
        "id-v010-characters",
        "labels-empty",
        "braces",
        "latency-600000ms",
        "latency-threshold-1ms",
        "window-365d",
        "window-weeks",
        "interval-24h",
        "interval-1d",
        "interval-leading-zero",
        "aegis-dev-availability",
    ],
)
def test_load_file_edge_values_are_valid(write_yaml: WriteYaml, mutation: Mutation) -> None:
    document = valid_document()
    mutation(document)

    result = load_file(write_yaml("slo.yaml", document))

    assert result.problems == ()
    assert len(result.slos) == 1


def test_load_file_both_rule_windows_over_compliance_reports_each(write_yaml: WriteYaml) -> None:
    document = valid_document()
    document["spec"]["complianceWindow"] = "1h"
    document["spec"]["burnPolicy"]["rules"] = [
        {"name": "r", "shortWindow": "2h", "longWindow": "3h", "threshold": 2}
    ]

    result = load_file(write_yaml("slo.yaml", document))

    assert [p.path for p in result.problems] == [
        "spec.burnPolicy.rules[0].shortWindow",
        "spec.burnPolicy.rules[0].longWindow",
    ]
