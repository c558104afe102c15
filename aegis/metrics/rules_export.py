"""Prometheus recording and alerting rules for SLOs: what ``aegis rules`` writes.

Three groups per SLO, as Sloth lays them out (``sloth-slo-sli-recordings-<id>`` ...):

* ``aegis-slo-sli-recordings-<id>``: for every window the SLO reads (each rule window and the
  compliance window), the good and total events (``slo:sli_good:rate<w>``,
  ``slo:sli_total:rate<w>``, the SLI's own queries summed) and Sloth's error ratio
  ``slo:sli_error:ratio_rate<w>`` computed from them (rules of a group run in order at one
  evaluation time, so the ratio reads the two series just recorded); and the time of the newest
  raw sample the SLI reads, ``slo:sli_newest_sample:timestamp``;
* ``aegis-slo-meta-recordings-<id>``: Sloth's objective, error budget, period, current and
  period burn rates, budget remaining and ``sloth_slo_info``;
* ``aegis-slo-alerts-<id>``: one alert per burn-rate rule, firing when both windows burn at or
  above the rule's factor, as the gate's rule fires (``sloth_severity`` page for BLOCK rules,
  ticket for WARN, info for ALLOW).

Series names and labels: ``aegis.metrics.recorded``. An SLO whose queries are not PromQL (a
synthetic fixture name) cannot be recorded; it is returned as skipped, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aegis.metrics import _promql
from aegis.metrics._plan import build_plan
from aegis.metrics.recorded import (
    ERROR_RATIO,
    GOOD,
    NEWEST,
    TOTAL,
    WINDOW_LABEL,
    matchers,
    series_name,
    slo_labels,
)
from aegis.spec.durations import Window
from aegis.spec.model import SLO, Decision, SLIType

ALERT_NAME = "AegisSLOErrorBudgetBurn"
SEVERITIES = {Decision.BLOCK: "page", Decision.WARN: "ticket", Decision.ALLOW: "info"}
FIXTURE_PREFIX = "fixture:"
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


@dataclass(frozen=True)
class Skipped:
    slo_id: str
    reason: str


def rule_groups(
    slos: Iterable[SLO], *, mode: str = "aegis-rules"
) -> tuple[list[dict[str, Any]], list[Skipped]]:
    """The rule groups for ``slos`` (a ``groups:`` list for a Prometheus rule file), and the SLOs left out."""
    groups: list[dict[str, Any]] = []
    skipped: list[Skipped] = []
    for slo in slos:
        try:
            queries = _rendered(slo)
        except ValueError as err:
            skipped.append(Skipped(slo.id, str(err)))
            continue
        groups.extend(
            [
                {
                    "name": f"aegis-slo-sli-recordings-{slo.id}",
                    "rules": [*_sli_rules(slo, queries), *_newest_rule(slo)],
                },
                {"name": f"aegis-slo-meta-recordings-{slo.id}", "rules": _meta_rules(slo, mode)},
                {"name": f"aegis-slo-alerts-{slo.id}", "rules": _alert_rules(slo)},
            ]
        )
    return groups, skipped


def _rendered(slo: SLO) -> dict[Window, tuple[str, str]]:
    """(good, total) PromQL per window; ValueError when a query is not PromQL."""
    threshold = None
    if slo.sli.type is SLIType.LATENCY and slo.sli.threshold_ms is not None:
        threshold = _promql.format_threshold(slo.sli.threshold_ms)
    rendered: dict[Window, tuple[str, str]] = {}
    for window in slo.windows:
        pair = []
        for role, template in (("good", slo.sli.good_query), ("total", slo.sli.total_query)):
            try:
                query = _promql.render(template, window=window.text, threshold=threshold)
            except _promql.TemplateError as err:
                raise ValueError(f"the {role} query: {err}") from err
            if template.strip().startswith(FIXTURE_PREFIX):
                raise ValueError(
                    f"the {role} query names a synthetic fixture ({template.strip()[:60]!r}), not PromQL"
                )
            if _promql.parse(query) is None:
                raise ValueError(
                    f"the {role} query is not PromQL (a synthetic fixture?): {query.strip()[:60]!r}"
                )
            pair.append(query.strip())
        rendered[window] = (pair[0], pair[1])
    return rendered


def _extra_labels(slo: SLO) -> dict[str, str]:
    """The SLO's own labels that are valid Prometheus label names, as Sloth adds them."""
    reserved = set(slo_labels(slo)) | {WINDOW_LABEL}
    return {
        key: value
        for key, value in sorted(slo.labels.items())
        if _LABEL_NAME.match(key) and not key.startswith("__") and key not in reserved
    }


def _sli_rules(slo: SLO, queries: dict[Window, tuple[str, str]]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    identity = slo_labels(slo)
    for window, (good, total) in queries.items():
        labels = {**_extra_labels(slo), **identity, WINDOW_LABEL: window.text}
        selector = matchers(identity)
        good_name, total_name = series_name(GOOD, window), series_name(TOTAL, window)
        rules += [
            {"record": good_name, "expr": f"sum({good})", "labels": labels},
            {"record": total_name, "expr": f"sum({total})", "labels": labels},
            {
                "record": series_name(ERROR_RATIO, window),
                "expr": f"1 - ({good_name}{selector} / {total_name}{selector})",
                "labels": labels,
            },
        ]
    return rules


def _newest_rule(slo: SLO) -> list[dict[str, Any]]:
    """The newest raw sample of the series the SLI reads, as the adapter's plan asks for it."""
    newest = build_plan(slo, slo.windows[:1], max_range=86400, max_points=1440, min_step=15).newest
    if newest is None:
        return []
    return [{"record": NEWEST, "expr": newest, "labels": {**_extra_labels(slo), **slo_labels(slo)}}]


def _meta_rules(slo: SLO, mode: str) -> list[dict[str, Any]]:
    labels = {**_extra_labels(slo), **slo_labels(slo)}
    selector = matchers(slo_labels(slo))
    on = "on(sloth_id, sloth_slo, sloth_service) group_left"
    shortest, period = slo.windows[0], slo.window
    budget = f"slo:error_budget:ratio{selector}"
    info = {**labels, "sloth_mode": mode, "sloth_spec": slo.api_version, "aegis_environment": slo.environment}
    return [
        {"record": "slo:objective:ratio", "expr": f"vector({slo.objective!r})", "labels": labels},
        {"record": "slo:error_budget:ratio", "expr": f"vector(1 - {slo.objective!r})", "labels": labels},
        {
            "record": "slo:time_period:days",
            "expr": f"vector({slo.window.seconds / 86400:g})",
            "labels": labels,
        },
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": f"{series_name(ERROR_RATIO, shortest)}{selector}\n/ {on}\n{budget}",
            "labels": labels,
        },
        {
            "record": "slo:period_burn_rate:ratio",
            "expr": f"{series_name(ERROR_RATIO, period)}{selector}\n/ {on}\n{budget}",
            "labels": labels,
        },
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": f"1 - slo:period_burn_rate:ratio{selector}",
            "labels": labels,
        },
        {"record": "sloth_slo_info", "expr": "vector(1)", "labels": info},
    ]


def _alert_rules(slo: SLO) -> list[dict[str, Any]]:
    selector = matchers(slo_labels(slo))
    budget = f"(1 - {slo.objective!r})"
    rules: list[dict[str, Any]] = []
    for rule in slo.burn_rate_rules:
        short = f"{series_name(ERROR_RATIO, rule.short_window)}{selector}"
        long = f"{series_name(ERROR_RATIO, rule.long_window)}{selector}"
        factor = f"({rule.threshold!r} * {budget})"
        severity = SEVERITIES[rule.action]
        rules.append(
            {
                "alert": ALERT_NAME,
                "expr": f"(\n    {short} >= {factor}\n)\nand ignoring ({WINDOW_LABEL})\n"
                f"(\n    {long} >= {factor}\n)\n",
                "labels": {
                    **_extra_labels(slo),
                    **slo_labels(slo),
                    "sloth_severity": severity,
                    "aegis_rule": rule.name,
                    "aegis_action": rule.action.name,
                },
                "annotations": {
                    "title": f"({severity}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} "
                    "SLO error budget burn rate is too fast.",
                    "summary": f"SLO {slo.id}: rule {rule.name} burns at least {rule.threshold:g}x over "
                    f"{rule.short_window} and {rule.long_window}; the gate answers {rule.action.name}.",
                },
            }
        )
    return rules


def rule_file(groups: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"groups": list(groups)}
