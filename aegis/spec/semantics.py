"""Checks the schema cannot express: relations between fields and values it lets through.

Each check looks only at fields that are already well-formed, so it can run
alongside the schema and one pass reports every problem in a document.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from aegis.spec.durations import DurationError, Window
from aegis.spec.problems import FieldIssue, FieldPath, describe_value
from aegis.spec.suggest import closest_name

LATENCY_TYPES = frozenset({"latency", "latency_threshold"})
TEMPLATE_VARIABLES = ("window", "threshold")
# Anything in double braces is meant as a template variable; single braces are PromQL matchers.
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}")


def semantic_issues(document: object) -> list[FieldIssue]:
    """Problems in ``document`` beyond its schema; [] for a document that is not a mapping."""
    if not isinstance(document, Mapping):
        return []
    issues = list(_non_string_keys(document, ()))
    spec = document.get("spec")
    if isinstance(spec, Mapping):
        issues.extend(_non_finite_numbers(spec))
        issues.extend(_rule_issues(spec))
        sli = spec.get("sli")
        if isinstance(sli, Mapping):
            issues.extend(_template_issues(sli))
    return issues


def _non_string_keys(value: object, path: FieldPath, seen: set[int] | None = None) -> Iterator[FieldIssue]:
    """YAML allows ``1: x`` or ``true: x``; field names and label keys must be text."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return  # A YAML alias can make a structure refer to itself.
    seen.add(id(value))
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                yield FieldIssue(
                    (*path, str(key)), f"expected a text field name, found {describe_value(key)}"
                )
            yield from _non_string_keys(item, (*path, str(key)), seen)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_string_keys(item, (*path, index), seen)


def _non_finite_numbers(spec: Mapping[str, Any]) -> Iterator[FieldIssue]:
    """YAML's .nan slips past JSON Schema's range checks (every comparison with NaN is false)."""
    candidates: list[tuple[FieldPath, object]] = [(("spec", "objective"), spec.get("objective"))]
    sli = spec.get("sli")
    if isinstance(sli, Mapping):
        candidates.append((("spec", "sli", "thresholdMs"), sli.get("thresholdMs")))
    for index, rule in _rules(spec):
        candidates.append((("spec", "burnRateRules", index, "threshold"), rule.get("threshold")))
    for path, value in candidates:
        if isinstance(value, float) and not math.isfinite(value):
            yield FieldIssue(path, f"expected a finite number, found {describe_value(value)}")


def _rules(spec: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    rules = spec.get("burnRateRules")
    if isinstance(rules, list):
        for index, rule in enumerate(rules):
            if isinstance(rule, Mapping):
                yield index, rule


def _window(value: object) -> Window | None:
    """The parsed duration, or None when the schema already reports it as malformed."""
    if not isinstance(value, str):
        return None
    try:
        return Window.parse(value)
    except DurationError:
        return None


def _rule_issues(spec: Mapping[str, Any]) -> Iterator[FieldIssue]:
    compliance = _window(spec.get("window"))
    first_by_name: dict[str, int] = {}
    for index, rule in _rules(spec):
        path: FieldPath = ("spec", "burnRateRules", index)
        name = rule.get("name")
        if isinstance(name, str):
            first = first_by_name.setdefault(name, index)
            if first != index:
                yield FieldIssue(
                    (*path, "name"),
                    f"expected a rule name unique within the SLO, found {name!r} "
                    f"again (first used by spec.burnRateRules[{first}])",
                )
        short, long = _window(rule.get("shortWindow")), _window(rule.get("longWindow"))
        # Messages quote durations as written: Window's canonical text would show 7d as 1w.
        if short is not None and long is not None and short >= long:
            yield FieldIssue(
                (*path, "shortWindow"),
                f"expected shortWindow shorter than longWindow ({rule['longWindow']}), "
                f"found {rule['shortWindow']}",
            )
        if compliance is None:
            continue
        for field, window in (("shortWindow", short), ("longWindow", long)):
            if window is not None and window > compliance:
                yield FieldIssue(
                    (*path, field),
                    "expected a window no longer than the compliance window spec.window "
                    f"({spec['window']}), found {rule[field]}",
                )


def _template_issues(sli: Mapping[str, Any]) -> Iterator[FieldIssue]:
    """A misspelt ``{{windw}}`` would reach the backend as broken PromQL; catch it here.

    ``{{window}}``/``{{threshold}}`` and Sloth's ``{{.window}}``/``{{.threshold}}`` are accepted.
    """
    is_latency = sli.get("type") in LATENCY_TYPES
    for field in ("goodQuery", "totalQuery"):
        query = sli.get(field)
        if not isinstance(query, str):
            continue
        for match in _TEMPLATE.finditer(query):
            # Sloth writes Go-template style {{.window}}; both spellings are the same variable.
            name = match.group(1).removeprefix(".")
            if name not in TEMPLATE_VARIABLES:
                yield FieldIssue(
                    ("spec", "sli", field),
                    "expected template variables {{window}} or {{threshold}}, "
                    f"found {match.group(0)!r}{_template_hint(name)}",
                )
            elif name == "threshold" and not is_latency:
                yield FieldIssue(
                    ("spec", "sli", field),
                    f"expected {{{{threshold}}}} only in latency SLIs, found it in a {sli.get('type')!r} SLI",
                )


def _template_hint(name: str) -> str:
    """'{{ window }}' and '{{windw}}' both most likely meant '{{window}}'."""
    meant = name.strip() if name.strip() in TEMPLATE_VARIABLES else closest_name(name, TEMPLATE_VARIABLES)
    return "; did you mean '{{" + meant + "}}'?" if meant else ""
