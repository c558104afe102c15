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


RULE0 = ("spec", "burnRateRules", 0)
SLI = ("spec", "sli")

CASES: list[tuple[str, Mutation, str, str]] = [
    # (case id, mutation, expected path, message fragment)
    ("unknown-top-level", _set("specs", value={}), "specs", "unknown field 'specs'; did you mean 'spec'?"),
    ("unknown-metadata", _set("metadata", "team", value="x"), "metadata.team", "expected one of: id, name"),
    (
        "unknown-sli-snake-case",
        _set(*SLI, "total_query", value="x"),
        "spec.sli.total_query",
        "did you mean 'totalQuery'?",
    ),
    (
        "unknown-rule-case",
        _set(*RULE0, "ShortWindow", value="5m"),
        "spec.burnRateRules[0].ShortWindow",
        "'shortWindow'?",
    ),
    ("missing-metadata", _delete("metadata"), "metadata", "required field is missing"),
    ("missing-service", _delete("metadata", "service"), "metadata.service", "required field is missing"),
    ("missing-rules", _delete("spec", "burnRateRules"), "spec.burnRateRules", "required field is missing"),
    (
        "no-rules",
        _set("spec", "burnRateRules", value=[]),
        "spec.burnRateRules",
        "at least one burn-rate rule",
    ),
    (
        "rules-not-list",
        _set("spec", "burnRateRules", value={}),
        "spec.burnRateRules",
        "found an empty mapping",
    ),
    ("id-too-long", _set("metadata", "id", value="a" * 64), "metadata.id", "at most 63 characters"),
    ("id-trailing-dash", _set("metadata", "id", value="api-"), "metadata.id", "lowercase DNS label"),
    ("id-number", _set("metadata", "id", value=42), "metadata.id", "found 42 (an integer)"),
    (
        "empty-service",
        _set("metadata", "service", value=""),
        "metadata.service",
        "expected a non-empty string",
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
    ("threshold-zero", _set(*RULE0, "threshold", value=0), "spec.burnRateRules[0].threshold", "> 0, found 0"),
    (
        "threshold-inf",
        _set(*RULE0, "threshold", value=float("inf")),
        "spec.burnRateRules[0].threshold",
        "finite",
    ),
    (
        "threshold-string",
        _set(*RULE0, "threshold", value="14.4x"),
        "spec.burnRateRules[0].threshold",
        "'14.4x'",
    ),
    (
        "action-lower",
        _set(*RULE0, "action", value="warn"),
        "spec.burnRateRules[0].action",
        "did you mean 'WARN'?",
    ),
    ("window-zero", _set("spec", "window", value="0d"), "spec.window", "found '0d'"),
    ("window-fraction", _set("spec", "window", value="1.5h"), "spec.window", "like 30s, 5m, 1h, 30d or 2w"),
    ("window-number", _set("spec", "window", value=30), "spec.window", "found 30 (an integer)"),
    (
        "short-window-bad",
        _set(*RULE0, "shortWindow", value="5min"),
        "spec.burnRateRules[0].shortWindow",
        "'5min'",
    ),
    (
        "eval-interval-bad",
        _set("spec", "evaluationInterval", value="1 m"),
        "spec.evaluationInterval",
        "'1 m'",
    ),
    ("staleness-bad", _set("spec", "stalenessLimit", value="10"), "spec.stalenessLimit", "found '10'"),
    ("min-points-negative", _set("spec", "minDataPoints", value=-1), "spec.minDataPoints", ">= 0, found -1"),
    ("min-points-fraction", _set("spec", "minDataPoints", value=1.5), "spec.minDataPoints", "whole number"),
    (
        "windows-equal",
        _set(*RULE0, "longWindow", value="5m"),
        "spec.burnRateRules[0].shortWindow",
        "shorter than",
    ),
    (
        "windows-same-length",
        _set(*RULE0, "longWindow", value="300s"),
        "spec.burnRateRules[0].shortWindow",
        "(300s)",
    ),
    (
        "long-window-over-compliance",
        _both(_set("spec", "window", value="1d"), _set(*RULE0, "longWindow", value="25h")),
        "spec.burnRateRules[0].longWindow",
        "compliance window spec.window (1d), found 25h",
    ),
    (
        "sli-type-unknown",
        _set(*SLI, "type", value="errors"),
        "spec.sli.type",
        "availability, latency or ratio",
    ),
    (
        "sli-type-legacy-in-v1",
        _both(_set(*SLI, "type", value="latency_threshold"), _set(*SLI, "thresholdMs", value=300)),
        "spec.sli.type",
        "did you mean 'latency'?",
    ),
    (
        "sli-type-v1-in-legacy",
        _both(_set("apiVersion", value="aegis.dev/v1"), _set(*SLI, "type", value="availability")),
        "spec.sli.type",
        "ratio or latency_threshold",
    ),
    (
        "legacy-latency-without-threshold",
        _both(_set("apiVersion", value="aegis.dev/v1"), _set(*SLI, "type", value="latency_threshold")),
        "spec.sli.thresholdMs",
        "latency_threshold SLIs need thresholdMs",
    ),
    (
        "legacy-ratio-with-threshold",
        _both(
            _set("apiVersion", value="aegis.dev/v1"),
            _set(*SLI, "type", value="ratio"),
            _set(*SLI, "thresholdMs", value=1),
        ),
        "spec.sli.thresholdMs",
        "only applies to type latency_threshold",
    ),
    (
        "latency-threshold-zero",
        _both(_set(*SLI, "type", value="latency"), _set(*SLI, "thresholdMs", value=0)),
        "spec.sli.thresholdMs",
        "milliseconds > 0, found 0",
    ),
    (
        "ratio-with-threshold",
        _both(_set(*SLI, "type", value="ratio"), _set(*SLI, "thresholdMs", value=5)),
        "spec.sli.thresholdMs",
        "expected no thresholdMs",
    ),
    ("empty-query", _set(*SLI, "goodQuery", value=""), "spec.sli.goodQuery", "non-empty string"),
    (
        "template-typo",
        _set(*SLI, "totalQuery", value="sum(x[{{windw}}])"),
        "spec.sli.totalQuery",
        "did you mean '{{window}}'?",
    ),
    (
        "template-spaces",
        _set(*SLI, "goodQuery", value="sum(x[{{ window }}])"),
        "spec.sli.goodQuery",
        "found '{{ window }}'",
    ),
    (
        "template-threshold-non-latency",
        _set(*SLI, "goodQuery", value='x{le="{{threshold}}"}'),
        "spec.sli.goodQuery",
        "only in latency SLIs",
    ),
    (
        "duplicate-rule-name",
        _set("spec", "burnRateRules", 1, "name", value="fast-burn"),
        "spec.burnRateRules[1].name",
        "again",
    ),
    (
        "rule-not-mapping",
        _set("spec", "burnRateRules", 1, value="slow-burn"),
        "spec.burnRateRules[1]",
        "expected a mapping",
    ),
    ("kind-missing", _delete("kind"), "kind", "required field is missing"),
    (
        "api-version-typo",
        _set("apiVersion", value="aegis.slo/V1"),
        "apiVersion",
        "did you mean 'aegis.slo/v1'?",
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
        _set("spec", "minDataPoints", value=0),
        _set("spec", "minDataPoints", value=3.0),
        _set(*RULE0, "action", value="ALLOW"),
        _set("metadata", "id", value="a" * 63),
        _set("metadata", "id", value="9"),
        _set("metadata", "labels", value={}),
        _set(*SLI, "goodQuery", value="sum(rate(x{a=~'{b}'}[{{window}}]))"),
        _both(_set(*SLI, "type", value="latency"), _set(*SLI, "thresholdMs", value=0.5)),
    ],
    ids=[
        "objective-half",
        "objective-five-nines",
        "window-equal-compliance",
        "min-points-zero",
        "min-points-float-whole",
        "action-allow",
        "id-63",
        "id-digit",
        "labels-empty",
        "braces",
        "latency-fraction-ms",
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
    document["spec"]["window"] = "1h"
    document["spec"]["burnRateRules"] = [
        {"name": "r", "shortWindow": "2h", "longWindow": "3h", "threshold": 2}
    ]

    result = load_file(write_yaml("slo.yaml", document))

    assert [p.path for p in result.problems] == [
        "spec.burnRateRules[0].shortWindow",
        "spec.burnRateRules[0].longWindow",
    ]
