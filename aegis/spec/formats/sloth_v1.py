"""Sloth's ``version: prometheus/v1`` files (github.com/slok/sloth), read beside ours.

One document is one service and its SLOs; each SLO becomes one model SLO:

* id ``<service>-<name>`` (Sloth's own ``sloth_id``), service, description, labels (the
  service's and the SLO's, the SLO's winning), objective ``99.9`` read as ``0.999``;
* the SLI: ``total_query`` as written, good events ``sum(total) - (sum(errors) or vector(0))``,
  so that a service without a single error series yet has zero errors, not no data (and no
  total is still no data);
* the period Sloth uses by default, 30 days, and Sloth's four default multi-window,
  multi-burn-rate alerts as rules (``_burn_windows``): page alerts BLOCK, ticket alerts WARN.
  ``page_alert.disable: true`` drops the page rules, as Sloth drops the alert.

Alert names, labels and annotations only shape Sloth's alerts; they do not change a decision.
The structure (unknown fields, SLO plugins and raw SLIs refused) is ``sloth_v1.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aegis.spec.durations import Window
from aegis.spec.formats._burn_windows import (
    DEFAULT_ENVIRONMENT,
    DEFAULT_EVALUATION_INTERVAL,
    DEFAULT_MIN_DATA_POINTS,
    DEFAULT_STALENESS_LIMIT,
    burn_rules,
)
from aegis.spec.formats.base import Built, FieldMap
from aegis.spec.model import SLO, SLISpec, SLIType
from aegis.spec.problems import FieldIssue
from aegis.spec.schema import schema_issues

SCHEMA_RESOURCE = "sloth_v1.json"
VERSION = "prometheus/v1"
PERIOD = Window.parse("30d")
# The model's id limit (slo_v1.json): <service>-<name> must fit.
MAX_ID = 128


def good_from_errors(total_query: str, error_query: str) -> str:
    """Good events as total minus errors; an error query with no series at all counts as zero.

    >>> good_from_errors("sum(rate(t[{{.window}}]))", "sum(rate(e[{{.window}}]))")
    'sum(sum(rate(t[{{.window}}]))) - (sum(sum(rate(e[{{.window}}]))) or vector(0))'
    """
    return f"sum({total_query.strip()}) - (sum({error_query.strip()}) or vector(0))"


class SlothFormat:
    """Claims documents with Sloth's ``version`` field (Sloth has no apiVersion)."""

    name = "Sloth"
    api_versions = (VERSION,)
    version_field = "version"

    def claims(self, document: Mapping[str, Any]) -> bool:
        return "apiVersion" not in document and "version" in document

    def structure_issues(self, document: Mapping[str, Any]) -> list[FieldIssue]:
        issues = schema_issues(document, SCHEMA_RESOURCE)
        if issues:
            return issues
        for index, slo in enumerate(document["slos"]):
            sloth_id = f"{document['service']}-{slo['name']}"
            if len(sloth_id) > MAX_ID:
                message = (
                    f"expected service and name to make an id of at most {MAX_ID} characters "
                    f"(<service>-<name>), found {len(sloth_id)}"
                )
                issues.append(FieldIssue(("slos", index, "name"), message))
            if not burn_rules(PERIOD, _severities(slo)):
                issues.append(
                    FieldIssue(
                        ("slos", index, "alerting"),
                        "expected page_alert or ticket_alert enabled: with both disabled Sloth makes no "
                        "burn-rate alert, so the gate would have no rule to gate on",
                    )
                )
        return issues

    def build(self, document: Mapping[str, Any], source_file: str) -> list[Built]:
        service: str = document["service"]
        service_labels: Mapping[str, str] = document.get("labels") or {}
        return [
            Built(_slo(service, service_labels, slo, source_file), _fields(index))
            for index, slo in enumerate(document["slos"])
        ]


def _severities(slo: Mapping[str, Any]) -> tuple[str, ...]:
    alerting: Mapping[str, Any] = slo.get("alerting") or {}
    return tuple(
        severity
        for severity in ("page", "ticket")
        if not (alerting.get(f"{severity}_alert") or {}).get("disable", False)
    )


def _slo(service: str, service_labels: Mapping[str, str], slo: Mapping[str, Any], source_file: str) -> SLO:
    events: Mapping[str, str] = slo["sli"]["events"]
    return SLO(
        id=f"{service}-{slo['name']}",
        name=slo["name"],
        service=service,
        description=slo.get("description", ""),
        labels={**service_labels, **(slo.get("labels") or {})},
        environment=DEFAULT_ENVIRONMENT,
        # 99.9 -> 0.999 exactly as written, not 0.9990000000000001.
        objective=float(Decimal(repr(float(slo["objective"]))) / 100),
        window=PERIOD,
        sli=SLISpec(
            type=SLIType.RATIO,
            good_query=good_from_errors(events["total_query"], events["error_query"]),
            total_query=events["total_query"].strip(),
        ),
        burn_rate_rules=burn_rules(PERIOD, _severities(slo)),
        evaluation_interval=DEFAULT_EVALUATION_INTERVAL,
        staleness_limit=DEFAULT_STALENESS_LIMIT,
        min_data_points=DEFAULT_MIN_DATA_POINTS,
        source_file=source_file,
        api_version=VERSION,
    )


def _fields(index: int) -> FieldMap:
    slo = ("slos", index)
    return FieldMap(
        {
            ("id",): (*slo, "name"),
            ("name",): (*slo, "name"),
            ("service",): ("service",),
            ("description",): (*slo, "description"),
            ("labels",): (*slo, "labels"),
            ("objective",): (*slo, "objective"),
            ("sli", "good_query"): (*slo, "sli", "events", "error_query"),
            ("sli", "total_query"): (*slo, "sli", "events", "total_query"),
            ("burn_rate_rules",): (*slo, "alerting"),
            ("burn_rate_rules", "*"): (*slo, "alerting"),
        }
    )


SLOTH_V1 = SlothFormat()
