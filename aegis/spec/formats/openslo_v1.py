"""OpenSLO v1 documents (github.com/OpenSLO/OpenSLO), read beside ours.

A ``kind: SLO`` document becomes one model SLO:

* id ``metadata.name``, name ``metadata.displayName``, labels (a list value joined with ``,``),
  ``spec.service``, ``spec.description``;
* the indicator inline (``spec.indicator``) or named (``spec.indicatorRef``: a ``kind: SLI``
  document of the same file or, resolved once the directory is read, of another file); its
  ``ratioMetric`` on a ``Prometheus`` metric source, good/total or bad/total
  (good = ``sum(total) - (sum(bad) or vector(0))``), each query read over every rule
  window (``_counter_query``); ``metricSourceRef`` names the metric backend (``spec.sli.backend``);
* the objective's ``target`` (or ``targetPercent``), the rolling ``timeWindow`` (30d when absent),
  and the SRE Workbook's four burn-rate rules for that window (``_burn_windows``);
* what OpenSLO cannot say comes from ``aegis.slo/*`` annotations, or defaults
  (docs/formats.md): environment, evaluation interval, staleness limit, minimum data points.

What the gate cannot honour (threshold metrics, time slices, calendar windows, composite SLOs,
alert policies, other metric sources) is refused by ``openslo_v1.json`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from aegis.spec.durations import Window
from aegis.spec.formats._annotations import ANNOTATION_PREFIX, aegis_annotations, annotation_issues, duration
from aegis.spec.formats._burn_windows import (
    DEFAULT_ENVIRONMENT,
    DEFAULT_EVALUATION_INTERVAL,
    DEFAULT_MIN_DATA_POINTS,
    DEFAULT_STALENESS_LIMIT,
    GOOGLE_WINDOWS,
    burn_rules,
)
from aegis.spec.formats._counter_query import windowed
from aegis.spec.formats.base import Built, FieldMap
from aegis.spec.formats.sloth_v1 import good_from_errors
from aegis.spec.model import DEFAULT_BACKEND, SLO, SLISpec, SLIType
from aegis.spec.problems import FieldIssue, FieldPath, describe_value
from aegis.spec.schema import schema_issues
from aegis.spec.suggest import did_you_mean

SCHEMA_RESOURCE = "openslo_v1.json"
API_VERSION = "openslo/v1"
DEFAULT_WINDOW = Window.parse("30d")
_SPEC = ("spec",)


class OpenSLOFormat:
    """Claims ``apiVersion: openslo/v1``; ``for_file`` binds the SLI documents an indicatorRef may name."""

    name = "OpenSLO"
    api_versions = (API_VERSION,)

    def __init__(self, indicators: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._indicators = dict(indicators or {})

    def claims(self, document: Mapping[str, Any]) -> bool:
        return document.get("apiVersion") == API_VERSION

    def for_file(self, documents: Sequence[object]) -> OpenSLOFormat:
        """This format, knowing the ``kind: SLI`` documents of the file an SLO's indicatorRef may name."""
        indicators = {
            d["metadata"]["name"]: d
            for d in documents
            if isinstance(d, Mapping)
            and d.get("apiVersion") == API_VERSION
            and d.get("kind") == "SLI"
            and isinstance(d.get("metadata"), Mapping)
            and isinstance(d["metadata"].get("name"), str)
        }
        return OpenSLOFormat(indicators)

    def shares(self, document: Mapping[str, Any]) -> bool:
        return document.get("kind") == "SLI"

    def defers(self, document: Mapping[str, Any]) -> bool:
        spec = document.get("spec")
        if document.get("kind") != "SLO" or not isinstance(spec, Mapping):
            return False
        name = spec.get("indicatorRef")
        return isinstance(name, str) and "indicator" not in spec and name not in self._indicators

    def structure_issues(self, document: Mapping[str, Any]) -> list[FieldIssue]:
        issues = schema_issues(document, SCHEMA_RESOURCE)
        if issues or document["kind"] != "SLO":
            return issues
        return [
            *annotation_issues(document),
            *_objective_issues(document),
            *_window_issues(document),
            *_indicator_issues(document, self._indicators),
        ]

    def build(self, document: Mapping[str, Any], source_file: str) -> list[Built]:
        if document["kind"] != "SLO":
            return []
        metadata: Mapping[str, Any] = document["metadata"]
        spec: Mapping[str, Any] = document["spec"]
        indicator, indicator_path = _indicator(spec, self._indicators)
        window = _window(spec)
        options = aegis_annotations(metadata)
        objective = spec["objectives"][0]
        # targetPercent 99.9 -> 0.999 exactly as written, not 0.9990000000000001.
        percent = objective.get("targetPercent")
        target = objective["target"] if "target" in objective else Decimal(repr(float(percent))) / 100
        slo = SLO(
            id=metadata["name"],
            name=metadata.get("displayName", ""),
            service=spec["service"],
            description=spec.get("description", ""),
            labels=_labels(metadata.get("labels") or {}),
            environment=options.get("environment", DEFAULT_ENVIRONMENT),
            objective=float(target),
            window=window,
            sli=_sli(indicator["spec"]["ratioMetric"]),
            burn_rate_rules=burn_rules(window),
            evaluation_interval=duration(options, "evaluation-interval", DEFAULT_EVALUATION_INTERVAL),
            staleness_limit=duration(options, "staleness-limit", DEFAULT_STALENESS_LIMIT),
            min_data_points=int(options.get("min-data-points", DEFAULT_MIN_DATA_POINTS)),
            source_file=source_file,
            api_version=API_VERSION,
        )
        return [Built(slo, _fields(indicator_path, objective, document))]


def _indicator(
    spec: Mapping[str, Any], indicators: Mapping[str, Mapping[str, Any]]
) -> tuple[Mapping[str, Any], FieldPath]:
    if "indicator" in spec:
        return spec["indicator"], (*_SPEC, "indicator")
    return indicators[spec["indicatorRef"]], (*_SPEC, "indicatorRef")


def _window_issues(document: Mapping[str, Any]) -> list[FieldIssue]:
    """A window shorter than every burn-rate rule's long window would leave nothing to gate on."""
    if burn_rules(_window(document["spec"])):
        return []
    shortest = min(w.long_window for w in GOOGLE_WINDOWS)
    message = (
        f"expected a duration of at least {shortest} (the shortest burn-rate rule reads 5m and 1h), "
        f"found {document['spec']['timeWindow'][0]['duration']}"
    )
    return [FieldIssue(("spec", "timeWindow", 0, "duration"), message)]


def _objective_issues(document: Mapping[str, Any]) -> list[FieldIssue]:
    objective: Mapping[str, Any] = document["spec"]["objectives"][0]
    given = [key for key in ("target", "targetPercent") if key in objective]
    if len(given) == 1:
        return []
    found = "both" if given else "neither"
    return [FieldIssue(("spec", "objectives", 0), f"expected one of target and targetPercent, found {found}")]


def _indicator_issues(
    document: Mapping[str, Any], indicators: Mapping[str, Mapping[str, Any]]
) -> list[FieldIssue]:
    spec: Mapping[str, Any] = document["spec"]
    has_inline, has_ref = "indicator" in spec, "indicatorRef" in spec
    if has_inline == has_ref:
        which = "both" if has_inline else "neither"
        return [FieldIssue(_SPEC, f"expected exactly one of indicator and indicatorRef, found {which}")]
    if has_ref:
        name = spec["indicatorRef"]
        referenced = indicators.get(name)
        if referenced is None:
            message = (
                "expected the name of an SLI (kind: SLI) in this file or directory, "
                f"found {describe_value(name)}" + did_you_mean(name, list(indicators))
            )
            return [FieldIssue((*_SPEC, "indicatorRef"), message)]
        if schema_issues(referenced, SCHEMA_RESOURCE):
            message = f"the SLI {name!r} it names has problems (reported on its own document)"
            return [FieldIssue((*_SPEC, "indicatorRef"), message)]
        return _ratio_issues(referenced["spec"]["ratioMetric"], (*_SPEC, "indicatorRef"), remote=True)
    base: FieldPath = (*_SPEC, "indicator", "spec", "ratioMetric")
    return _ratio_issues(spec["indicator"]["spec"]["ratioMetric"], base, remote=False)


def _ratio_issues(ratio: Mapping[str, Any], base: FieldPath, *, remote: bool) -> list[FieldIssue]:
    """good xor bad; one backend for both queries; every query readable over a window."""

    def at(*parts: str | int) -> FieldPath:
        return base if remote else (*base, *parts)

    issues: list[FieldIssue] = []
    if ("good" in ratio) == ("bad" in ratio):
        which = "both" if "good" in ratio else "neither"
        issues.append(FieldIssue(at(), f"expected exactly one of good and bad beside total, found {which}"))
    refs = {ratio[k]["metricSource"].get("metricSourceRef") for k in ("good", "bad", "total") if k in ratio}
    if len(refs) > 1:
        issues.append(
            FieldIssue(
                at("total", "metricSource", "metricSourceRef"),
                "expected the same metricSourceRef for every query of the SLI",
            )
        )
    for key in ("good", "bad", "total"):
        if key in ratio:
            try:
                windowed(ratio[key]["metricSource"]["spec"]["query"], counter=ratio.get("counter"))
            except ValueError as err:
                where = at(key, "metricSource", "spec", "query")
                issues.append(FieldIssue(where, f"{key} query: {err}" if remote else str(err)))
    return issues


def _sli(ratio: Mapping[str, Any]) -> SLISpec:
    counter = ratio.get("counter")

    def query(key: str) -> str:
        return windowed(ratio[key]["metricSource"]["spec"]["query"].strip(), counter=counter)

    total = query("total")
    good = query("good") if "good" in ratio else good_from_errors(total, query("bad"))
    backend = ratio["total"]["metricSource"].get("metricSourceRef") or DEFAULT_BACKEND
    return SLISpec(type=SLIType.RATIO, good_query=good, total_query=total, backend=backend)


def _window(spec: Mapping[str, Any]) -> Window:
    windows = spec.get("timeWindow")
    return Window.parse(windows[0]["duration"]) if windows else DEFAULT_WINDOW


def _labels(labels: Mapping[str, str | list[str]]) -> dict[str, str]:
    return {key: value if isinstance(value, str) else ",".join(value) for key, value in labels.items()}


def _fields(indicator: FieldPath, objective: Mapping[str, Any], document: Mapping[str, Any]) -> FieldMap:
    """Where each model field is written: the queries inline, or at the indicatorRef naming them."""
    paths: dict[tuple[str, ...], tuple[str | int, ...]] = {
        ("id",): ("metadata", "name"),
        ("name",): ("metadata", "displayName"),
        ("service",): (*_SPEC, "service"),
        ("description",): (*_SPEC, "description"),
        ("labels",): ("metadata", "labels"),
        ("objective",): (*_SPEC, "objectives", "*", "target" if "target" in objective else "targetPercent"),
        ("window",): (*_SPEC, "timeWindow"),
        ("burn_rate_rules",): (*_SPEC, "timeWindow"),
        ("burn_rate_rules", "*"): (*_SPEC, "timeWindow"),
        ("burn_rate_rules", "*", "short_window"): (*_SPEC, "timeWindow"),
        ("burn_rate_rules", "*", "long_window"): (*_SPEC, "timeWindow"),
    }
    for field, annotation in (
        ("environment", "environment"),
        ("evaluation_interval", "evaluation-interval"),
        ("staleness_limit", "staleness-limit"),
        ("min_data_points", "min-data-points"),
    ):
        paths[(field,)] = ("metadata", "annotations", ANNOTATION_PREFIX + annotation)
    if indicator[-1] == "indicatorRef":
        for sli_field in ("good_query", "total_query", "backend"):
            paths[("sli", sli_field)] = (*_SPEC, "indicatorRef")
        return FieldMap(paths)
    ratio = (*_SPEC, "indicator", "spec", "ratioMetric")
    numerator = "bad" if "bad" in document["spec"]["indicator"]["spec"]["ratioMetric"] else "good"
    paths[("sli", "good_query")] = (*ratio, numerator, "metricSource", "spec", "query")
    paths[("sli", "total_query")] = (*ratio, "total", "metricSource", "spec", "query")
    paths[("sli", "backend")] = (*ratio, "total", "metricSource", "metricSourceRef")
    return FieldMap(paths)


OPENSLO_V1 = OpenSLOFormat()
