"""Checks on the built SLO model, the same for every file format.

The schema of each format checks fields one by one; what relates fields to each
other, and the bounds the rest of the server relies on, is checked here once:
rule windows against each other and the compliance window, unique rule names,
finite numbers, template variables, and every duration within a range that
fits the int32 fields of the API and the audit log (``evaluationInterval:
3551w`` once validated, then broke every decision). Problems point at the file
through the format's FieldMap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator

from aegis.spec.durations import Window
from aegis.spec.formats.base import FieldMap, ModelPath
from aegis.spec.model import SLO, SLIType
from aegis.spec.problems import FieldIssue, describe_value, shorten
from aegis.spec.suggest import closest_name, did_you_mean

# Inclusive ranges; every rule window is also within the compliance window.
DURATION_LIMITS: dict[str, tuple[Window, Window]] = {
    "window": (Window.parse("1s"), Window.parse("365d")),
    "evaluation_interval": (Window.parse("1s"), Window.parse("24h")),
    "staleness_limit": (Window.parse("1s"), Window.parse("7d")),
}
MAX_MIN_DATA_POINTS = 1000
TEMPLATE_VARIABLES = ("window", "threshold")
# Anything in double braces is meant as a template variable; single braces are PromQL matchers.
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}")


def slo_issues(slo: SLO, fields: FieldMap) -> list[FieldIssue]:
    """Every problem with ``slo`` that its format's schema cannot see, located through ``fields``."""
    found = [
        *_non_finite(slo),
        *_duration_limits(slo),
        *_count_limits(slo),
        *_rule_issues(slo, fields),
        *_template_issues(slo, fields),
        *_budget_issues(slo, fields),
    ]
    return [FieldIssue(fields.file_path(path), message) for path, message in found]


def backend_issues(slo: SLO, fields: FieldMap, backends: Collection[str] | None) -> list[FieldIssue]:
    """An SLO naming a backend the server does not have could never be evaluated: a load problem.

    ``backends`` None (``aegis validate`` without a backends file) accepts any name.
    """
    if backends is None or slo.sli.backend in backends:
        return []
    names = sorted(backends)
    listed = ", ".join(repr(name) for name in names[:10]) + (", ..." if len(names) > 10 else "")
    message = (
        f"expected a configured metric backend ({listed}), found {describe_value(slo.sli.backend)}"
        + did_you_mean(slo.sli.backend, names)
    )
    return [FieldIssue(fields.file_path(("sli", "backend")), message)]


_Found = Iterator[tuple[ModelPath, str]]


def _non_finite(slo: SLO) -> _Found:
    """YAML's .nan slips past JSON Schema's range checks (every comparison with NaN is false)."""
    numbers: list[tuple[ModelPath, float | None]] = [
        (("objective",), slo.objective),
        (("sli", "threshold_ms"), slo.sli.threshold_ms),
    ]
    numbers += [(("burn_rate_rules", i, "threshold"), r.threshold) for i, r in enumerate(slo.burn_rate_rules)]
    if slo.budget_policy is not None:
        numbers += [
            (("budget_policy", "block_below"), slo.budget_policy.block_below),
            (("budget_policy", "warn_below"), slo.budget_policy.warn_below),
        ]
    for path, value in numbers:
        if value is not None and not math.isfinite(value):
            yield path, f"expected a finite number, found {describe_value(value)}"


def _duration_limits(slo: SLO) -> _Found:
    for attribute, (low, high) in DURATION_LIMITS.items():
        value: Window = getattr(slo, attribute)
        if not low <= value <= high:
            yield (
                (attribute,),
                f"expected a duration from {low.as_written} to {high.as_written}, found {value.as_written}",
            )


def _count_limits(slo: SLO) -> _Found:
    if not 1 <= slo.min_data_points <= MAX_MIN_DATA_POINTS:
        yield ("min_data_points",), f"expected a whole number from 1 to {MAX_MIN_DATA_POINTS}"


def _rule_issues(slo: SLO, fields: FieldMap) -> _Found:
    first_by_name: dict[str, int] = {}
    compliance = slo.window
    for index, rule in enumerate(slo.burn_rate_rules):
        first = first_by_name.setdefault(rule.name, index)
        if first != index:
            yield (
                ("burn_rate_rules", index, "name"),
                f"expected a rule name unique within the SLO, found {shorten(rule.name, 60)!r} "
                f"again (first used by {fields.dotted(('burn_rate_rules', first))})",
            )
        short_path: ModelPath = ("burn_rate_rules", index, "short_window")
        long_path: ModelPath = ("burn_rate_rules", index, "long_window")
        if rule.short_window >= rule.long_window:
            yield (
                short_path,
                f"expected {fields.name(short_path)} shorter than {fields.name(long_path)} "
                f"({rule.long_window.as_written}), found {rule.short_window.as_written}",
            )
        for path, window in ((short_path, rule.short_window), (long_path, rule.long_window)):
            if window > compliance:
                yield (
                    path,
                    f"expected a window no longer than the compliance window {fields.dotted(('window',))} "
                    f"({compliance.as_written}), found {window.as_written}",
                )


def _budget_issues(slo: SLO, fields: FieldMap) -> _Found:
    """WARN must come before BLOCK as the budget runs down, or the WARN level could never show."""
    policy = slo.budget_policy
    if policy is None:
        return
    if policy.block_below is None and policy.warn_below is None:
        yield ("budget_policy",), "expected blockBelow and/or warnBelow"
        return
    block, warn = policy.block_below, policy.warn_below
    if block is not None and warn is not None and math.isfinite(block + warn) and not warn > block:
        path: ModelPath = ("budget_policy", "warn_below")
        yield (
            path,
            f"expected {fields.name(path)} above {fields.name(('budget_policy', 'block_below'))} "
            f"({block:g}), found {warn:g}",
        )


def _template_issues(slo: SLO, fields: FieldMap) -> _Found:
    """A misspelt ``{{windw}}`` would reach the backend as broken PromQL; catch it here.

    ``{{window}}``/``{{threshold}}`` and Sloth's ``{{.window}}``/``{{.threshold}}`` are accepted.
    """
    is_latency = slo.sli.type is SLIType.LATENCY
    for attribute, query in (("good_query", slo.sli.good_query), ("total_query", slo.sli.total_query)):
        path: ModelPath = ("sli", attribute)
        for match in _TEMPLATE.finditer(query):
            # Sloth writes Go-template style {{.window}}; both spellings are the same variable.
            name = match.group(1).removeprefix(".")
            if name not in TEMPLATE_VARIABLES:
                yield (
                    path,
                    "expected template variables {{window}} or {{threshold}}, "
                    f"found {shorten(match.group(0), 40)!r}{_template_hint(name)}",
                )
            elif name == "threshold" and not is_latency:
                kind = slo.sli.type.value
                yield path, f"expected {{{{threshold}}}} only in latency SLIs, found it in a {kind!r} SLI"


def _template_hint(name: str) -> str:
    """'{{ window }}' and '{{windw}}' both most likely meant '{{window}}'."""
    meant = name.strip() if name.strip() in TEMPLATE_VARIABLES else closest_name(name, TEMPLATE_VARIABLES)
    return "; did you mean '{{" + meant + "}}'?" if meant else ""
