"""OpenSLO v1 and Sloth prometheus/v1 files load beside ours, with the same validation quality.

The fixtures are the projects' own examples (fixtures/slo/openslo, fixtures/slo/sloth); what the
gate cannot honour is refused with the field, the line and the reason (fixtures/slo/formats-invalid).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aegis.spec.durations import Window
from aegis.spec.loader import LoadCache, load_directory, load_file
from aegis.spec.model import Decision
from tests.conftest import FIXTURES
from tests.spec.conftest import WriteYaml

OPENSLO = FIXTURES / "slo" / "openslo"
SLOTH = FIXTURES / "slo" / "sloth"
INVALID = FIXTURES / "slo" / "formats-invalid"
GOOGLE_30D = [
    ("page-quick", "5m", "1h", 14.4, Decision.BLOCK),
    ("page-slow", "30m", "6h", 6.0, Decision.BLOCK),
    ("ticket-quick", "2h", "1d", 3.0, Decision.WARN),
    ("ticket-slow", "6h", "3d", 1.0, Decision.WARN),
]


def _rules(slo_rules: object) -> list[tuple[str, str, str, float, Decision]]:
    return [(r.name, r.short_window.text, r.long_window.text, r.threshold, r.action) for r in slo_rules]  # type: ignore[attr-defined]


def test_sloth_examples_load_with_sloths_default_alerts_as_rules() -> None:
    result = load_directory(SLOTH)
    assert result.problems == ()
    by_id = {slo.id: slo for slo in result.slos}
    assert sorted(by_id) == [
        "home-wifi-good-wifi-client-satisfaction",
        "home-wifi-risk-wifi-client-satisfaction",
        "k8s-apiserver-requests-availability",
        "k8s-apiserver-requests-latency",
        "myservice-requests-availability",
        "myservice2-requests-availability",
    ]
    slo = by_id["k8s-apiserver-requests-availability"]
    assert slo.service == "k8s-apiserver"
    assert slo.objective == 0.999
    assert slo.window == Window.parse("30d")
    assert slo.labels == {"cluster": "valhalla", "component": "kubernetes", "category": "availability"}
    assert slo.sli.total_query == "sum(rate(apiserver_request_total[{{.window}}]))"
    assert slo.sli.good_query == (
        "sum(sum(rate(apiserver_request_total[{{.window}}]))) - "
        '(sum(sum(rate(apiserver_request_total{code=~"(5..|429)"}[{{.window}}]))) or vector(0))'
    )
    assert _rules(slo.burn_rate_rules) == GOOGLE_30D
    assert by_id["myservice2-requests-availability"].objective == 0.9999
    assert slo.api_version == "prometheus/v1"


def test_openslo_examples_load_inline_and_by_indicator_ref() -> None:
    result = load_directory(OPENSLO)
    assert result.problems == ()
    by_id = {slo.id: slo for slo in result.slos}
    foo = by_id["foo-slo"]
    assert (foo.name, foo.service, foo.objective, foo.window.text) == ("Foo SLO", "foo", 0.98, "30d")
    assert foo.sli.good_query == (
        'sum(rate(localhost_server_requests{code=~"2xx|3xx",host="*",instance="127.0.0.1:9090"}[{{window}}]))'
    )
    assert foo.sli.total_query == (
        'rate(localhost_server_requests{code="total",host="*",instance="127.0.0.1:9090"}[{{window}}])'
    )
    assert foo.sli.backend == "prometheus-datasource"
    assert _rules(foo.burn_rate_rules) == GOOGLE_30D
    shop = by_id["web-shop-checkout"]
    assert (shop.objective, shop.window.text, shop.min_data_points) == (0.995, "14d", 10)
    assert shop.labels == {"team": "shop", "tier": "1,customer-facing"}
    assert shop.sli.good_query.startswith(
        'sum(sum(rate(http_requests_total{service="web-shop"}[{{window}}])))'
    )
    # Google's budget shares over a 14-day period: 2% in 1h is 6.72x, 10% in 3d is 0.47x.
    assert [r.threshold for r in shop.burn_rate_rules] == [6.72, 2.8, 1.4, 0.466667]


def test_all_three_formats_load_from_one_directory(tmp_path: Path) -> None:
    for source in (OPENSLO, SLOTH, FIXTURES / "slo" / "valid"):
        shutil.copytree(source, tmp_path, dirs_exist_ok=True)
    result = load_directory(tmp_path)
    assert result.problems == ()
    assert {slo.api_version for slo in result.slos} == {
        "openslo/v1",
        "prometheus/v1",
        "aegis.slo/v1",
        "aegis.dev/v1",
    }


EXPECTED: dict[str, list[tuple[str, str]]] = {
    "openslo-timeslices.yaml": [
        ("spec.indicator.spec.ratioMetric.good.metricSource.type", "expected type Prometheus"),
        ("spec.indicator.spec.ratioMetric.total.metricSource.type", "expected type Prometheus"),
        ("spec.timeWindow[0].isRolling", "calendar-aligned windows are not supported"),
        ("spec.timeWindow[0].calendar", "calendar-aligned windows are not supported"),
        ("spec.budgetingMethod", "expected Occurrences"),
        ("spec.objectives", "expected a list of exactly one objective (composite SLOs"),
        ("spec.objectives[0].op", "threshold metrics, which are not supported"),
        ("spec.objectives[0].timeSliceTarget", "time slices are not supported"),
        ("spec.objectives[0].timeSliceWindow", "time slices are not supported"),
        ("spec.objectives[1].timeSliceTarget", "time slices are not supported"),
        ("spec.objectives[1].timeSliceWindow", "time slices are not supported"),
    ],
    "sloth-no-alerts.yml": [("slos[0].alerting", "expected page_alert or ticket_alert enabled")],
    "sloth-plugins.yml": [
        ("slo_plugins", "Sloth SLO plugins run Go code inside Sloth and are not supported"),
        (
            "slos[0].alerting.page_alert.for",
            "unknown field 'for'; expected one of: disable, labels, annotations",
        ),
        ("slos[0].alerting.ticket_alert.for", "unknown field 'for'"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_unsupported_features_of_real_examples_are_refused_with_the_reason(name: str) -> None:
    result = load_file(INVALID / name)
    assert result.slos == ()
    found = [(p.path, p.message) for p in result.problems]
    assert len(found) == len(EXPECTED[name]), found
    for (path, message), (expected_path, fragment) in zip(found, EXPECTED[name], strict=True):
        assert path == expected_path
        assert fragment in message
        assert "(line " in message


def test_every_invalid_example_is_tested() -> None:
    assert sorted(p.name for p in INVALID.iterdir()) == sorted(EXPECTED)


SLI_DOC = {
    "apiVersion": "openslo/v1",
    "kind": "SLI",
    "metadata": {"name": "errors"},
    "spec": {
        "ratioMetric": {
            "counter": True,
            "bad": {"metricSource": {"type": "Prometheus", "spec": {"query": "sum(x_total{code='500'})"}}},
            "total": {"metricSource": {"type": "Prometheus", "spec": {"query": "sum(x_total)"}}},
        }
    },
}


def _slo_doc(**spec: object) -> dict[str, object]:
    base: dict[str, object] = {"service": "x", "objectives": [{"target": 0.99}]}
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": "x-slo"},
        "spec": {**base, **spec},
    }


@pytest.mark.parametrize(
    ("spec", "path", "fragment"),
    [
        (
            {"indicatorRef": "erors"},
            "spec.indicatorRef",
            "in this file or directory, found 'erors' (a string); did you mean 'errors'?",
        ),
        ({}, "spec", "expected exactly one of indicator and indicatorRef, found neither"),
        (
            {"indicatorRef": "errors", "timeWindow": [{"duration": "1M", "isRolling": True}]},
            "spec.timeWindow[0].duration",
            "M, Q and Y are not read",
        ),
        (
            {"indicatorRef": "errors", "alertPolicies": [{"alertPolicyRef": "p"}]},
            "spec.alertPolicies",
            "expected no alert policies",
        ),
        (
            {"indicatorRef": "errors", "timeWindow": [{"duration": "30m", "isRolling": True}]},
            "spec.timeWindow[0].duration",
            "expected a duration of at least 1h (the shortest burn-rate rule reads 5m and 1h), found 30m",
        ),
        (
            {"indicatorRef": "errors", "objectives": [{"displayName": "x"}]},
            "spec.objectives[0]",
            "expected one of target and targetPercent, found neither",
        ),
        (
            {"indicatorRef": "errors", "objectives": [{"target": 0.99, "targetPercent": 99}]},
            "spec.objectives[0]",
            "expected one of target and targetPercent, found both",
        ),
        (
            {"indicatorRef": "errors", "objectives": [{"targt": 0.99}]},
            "spec.objectives[0].targt",
            "did you mean 'target'?",
        ),
    ],
)
def test_openslo_mistakes_name_the_field(
    write_yaml: WriteYaml, spec: dict[str, object], path: str, fragment: str
) -> None:
    result = load_file(write_yaml("slo.yaml", SLI_DOC, _slo_doc(**spec)))
    assert result.slos == ()
    assert [p.path for p in result.problems] == [path]
    assert fragment in result.problems[0].message


def test_openslo_counter_queries_that_cannot_be_windowed_are_refused(write_yaml: WriteYaml) -> None:
    sli = {**SLI_DOC, "spec": {"ratioMetric": {**SLI_DOC["spec"]["ratioMetric"], "counter": False}}}  # type: ignore[index]
    inline = _slo_doc(indicator={"metadata": {"name": "ind"}, "spec": sli["spec"]})
    result = load_file(write_yaml("slo.yaml", inline))
    paths = [p.path for p in result.problems]
    base = "spec.indicator.spec.ratioMetric"
    assert paths == [f"{base}.bad.metricSource.spec.query", f"{base}.total.metricSource.spec.query"]
    assert "expected counter: true" in result.problems[0].message
    rated = {"metricSource": {"type": "Prometheus", "spec": {"query": "sum(rate(x_total[5m]))"}}}
    ratio = {"counter": True, "good": rated, "total": rated}
    result = load_file(
        write_yaml(
            "slo.yaml", _slo_doc(indicator={"metadata": {"name": "ind"}, "spec": {"ratioMetric": ratio}})
        )
    )
    assert "expected a counter selector, alone or in one aggregation" in result.problems[0].message


def test_openslo_aegis_annotations_are_checked_and_others_left_to_their_tools(write_yaml: WriteYaml) -> None:
    doc = _slo_doc(indicatorRef="errors")
    doc["metadata"] = {
        "name": "x-slo",
        "annotations": {
            "aegis.slo/enviroment": "prod",
            "aegis.slo/staleness-limit": "5 min",
            "other.io/x": "y",
        },
    }
    result = load_file(write_yaml("slo.yaml", SLI_DOC, doc))
    assert [(p.path, p.message.split(" (line")[0]) for p in result.problems] == [
        (
            "metadata.annotations.aegis.slo/enviroment",
            "unknown AegisSLO annotation; expected one of: aegis.slo/environment, "
            "aegis.slo/evaluation-interval, aegis.slo/staleness-limit, aegis.slo/min-data-points; "
            "did you mean 'environment'?",
        ),
        (
            "metadata.annotations.aegis.slo/staleness-limit",
            "expected a duration like 30s, 5m, 1h or 30d, got '5 min'",
        ),
    ]


def test_sloth_unknown_fields_and_model_checks_point_at_slothss_fields(write_yaml: WriteYaml) -> None:
    text = (SLOTH / "kubernetes-apiserver.yml").read_text().replace("objective: 99.9", "objectiv: 99.9", 1)
    text = text.replace("{{.window}}", "{{.windw}}", 1)
    result = load_file(write_yaml("k8s.yml", text=text))
    found = [(p.path, p.message.split(" (line")[0]) for p in result.problems]
    assert ("slos[0].objectiv", "unknown field 'objectiv'; did you mean 'objective'?") in found
    assert ("slos[0]", "") not in found
    text = (SLOTH / "kubernetes-apiserver.yml").read_text().replace("{{.window}}", "{{.windw}}", 1)
    result = load_file(write_yaml("k8s.yml", text=text))
    assert [p.path for p in result.problems] == ["slos[0].sli.events.error_query"]
    assert "did you mean '{{window}}'?" in result.problems[0].message
    assert [s.id for s in result.slos] == ["k8s-apiserver-requests-latency"]


def test_an_unknown_api_version_lists_every_format(write_yaml: WriteYaml) -> None:
    result = load_file(write_yaml("x.yaml", {"apiVersion": "openslo/v2", "kind": "SLO"}))
    message = result.problems[0].message
    assert "expected one of 'aegis.slo/v1', 'aegis.dev/v1', 'openslo/v1'" in message
    assert "Sloth's version: prometheus/v1" in message
    assert "did you mean 'openslo/v1'?" in message


def test_openslo_indicator_ref_names_an_sli_of_another_file_of_the_directory(write_yaml: WriteYaml) -> None:
    write_yaml("a-slo.yaml", _slo_doc(indicatorRef="errors"))
    sli_file = write_yaml("b-sli.yaml", SLI_DOC)
    cache = LoadCache()

    first = load_directory(sli_file.parent, cache=cache)

    assert first.problems == ()
    (slo,) = first.slos
    assert slo.sli.total_query == "sum(rate(x_total[{{window}}]))"
    # The SLO file alone cannot see the SLI: the problem names the field and its line.
    alone = load_file(sli_file.parent / "a-slo.yaml")
    assert [(p.path, p.message) for p in alone.problems] == [
        (
            "spec.indicatorRef",
            "expected the name of an SLI (kind: SLI) in this file or directory, "
            "found 'errors' (a string) (line 9)",
        )
    ]
    # A reload sees a change of the SLI file although the SLO file, served from the cache, did not change.
    changed = {**SLI_DOC, "spec": {"ratioMetric": {**SLI_DOC["spec"]["ratioMetric"]}}}  # type: ignore[index]
    changed["spec"]["ratioMetric"]["total"] = {  # type: ignore[index]
        "metricSource": {"type": "Prometheus", "spec": {"query": "sum(y_total)"}}
    }
    write_yaml("b-sli.yaml", changed)
    again = load_directory(sli_file.parent, cache=cache)
    assert cache.reused == 1
    assert [s.sli.total_query for s in again.slos] == ["sum(rate(y_total[{{window}}]))"]
    (sli_file.parent / "b-sli.yaml").unlink()
    gone = load_directory(sli_file.parent, cache=cache)
    assert gone.slos == ()
    assert [p.path for p in gone.problems] == ["spec.indicatorRef"]


def test_hostile_openslo_and_sloth_files_are_one_problem_each(write_yaml: WriteYaml) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = "\n".join(
        [
            "apiVersion: openslo/v1",
            "kind: DataSource",
            "metadata: {name: prometheus}",
            "spec:",
            "  type: Prometheus",
            "  connectionDetails:",
            *(f"    {line}" for line in levels),
        ]
    )
    result = load_file(write_yaml("bomb.yaml", text=bomb + "\n"))
    assert len(result.problems) == 1
    assert "more than 10000 values in one file once aliases are expanded" in result.problems[0].message
    slo = {"name": "x", "objective": 99.0, "sli": {"events": {"error_query": "e", "total_query": "t"}}}
    many = {"version": "prometheus/v1", "service": "svc", "slos": [slo] * 201}
    result = load_file(write_yaml("many.yml", many))
    assert [(p.path, p.message.split(" (line")[0]) for p in result.problems] == [
        ("slos", "expected a list of 1 to 200 SLOs, found a list")
    ]


def test_a_sloth_id_defined_twice_is_reported_on_sloths_own_field(write_yaml: WriteYaml) -> None:
    text = (SLOTH / "multifile.yml").read_text()
    write_yaml("a.yml", text=text)
    second = write_yaml("b.yml", text=text.split("---", 2)[1])

    result = load_directory(second.parent)

    assert [(p.file, p.path) for p in result.problems] == [(str(second), "slos[0].name")]
    assert "duplicate id 'myservice-requests-availability', already defined in" in result.problems[0].message
