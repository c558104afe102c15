"""Query templating, selector extraction and the request plan (no server needed)."""

from __future__ import annotations

import promql_parser as pp
import pytest

from aegis.metrics import _promql
from aegis.metrics._plan import Plan, build_plan, combine
from aegis.spec.model import SLO, SLISpec, SLIType
from tests.metrics._scenarios import availability_slo, latency_slo, w


@pytest.mark.parametrize(
    ("milliseconds", "text"),
    [(300, "0.3"), (1000, "1"), (250, "0.25"), (1500000, "1500"), (0.5, "0.0005"), (99.9, "0.0999")],
)
def test_format_threshold_has_no_trailing_zeros(milliseconds: float, text: str) -> None:
    assert _promql.format_threshold(milliseconds) == text


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ("rate(x[{{window}}])", "rate(x[5m])"),
        ("rate(x[{{.window}}])", "rate(x[5m])"),
        ("rate(x[{{ .window }}])", "rate(x[5m])"),
        ('x{le="{{threshold}}"}[{{window}}]', 'x{le="0.3"}[5m]'),
        ('x{le="{{.threshold}}"}', 'x{le="0.3"}'),
        ("no placeholders", "no placeholders"),
    ],
)
def test_render_substitutes_window_and_threshold(template: str, rendered: str) -> None:
    assert _promql.render(template, window="5m", threshold="0.3") == rendered


def test_render_refuses_threshold_without_one_and_unknown_names() -> None:
    with pytest.raises(_promql.TemplateError, match="only available to latency SLIs"):
        _promql.render("x > {{threshold}}", window="5m")
    with pytest.raises(_promql.TemplateError, match=r"unknown template variable \{\{slo\}\}"):
        _promql.render("x{slo='{{slo}}'}", window="5m")


def test_selectors_are_plain_escaped_and_unique() -> None:
    expr = pp.parse(
        'sum(rate(http_requests_total{service="a\\"b",code!~"5.."}[5m] offset 1h @ 100))'
        ' / sum(rate(http_requests_total{service="a\\"b",code!~"5.."}[1h]))'
        ' + on() scalar({__name__=~"x|y"}) + count(z)'
    )
    assert _promql.selectors(expr) == (
        'http_requests_total{service="a\\"b",code!~"5.."}',
        '{__name__=~"x|y"}',
        "z",
    )
    # What we render parses back to the same matchers.
    again = pp.parse(_promql.selectors(expr)[0])
    assert isinstance(again, pp.VectorSelector) and again.matchers.matchers[0].value == 'a"b'


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("1", "scalar"),
        ("scalar(sum(x))", "scalar"),
        ("time() - 3", "scalar"),
        ("-(1 + scalar(x))", "scalar"),
        ("sum(rate(x[5m]))", "vector"),
        ("x > 1", "vector"),
        ("x[5m]", "matrix"),
        ("rate(x[5m])[10m:1m]", "matrix"),
        ('"text"', "string"),
    ],
)
def test_value_type_of_queries(query: str, kind: str) -> None:
    assert _promql.value_type(pp.parse(query)) == kind


def test_parse_returns_none_for_what_the_parser_cannot_read() -> None:
    assert _promql.parse("sum(rate(x[5m])") is None


def _plan(slo: SLO | None = None) -> Plan:
    slo = slo or availability_slo("api")
    return build_plan(slo, slo.windows, max_range=86400, max_points=1440, min_step=15)


def test_plan_combines_every_part_of_an_slo_into_one_query() -> None:
    plan = _plan()
    keys = [p.key for p in plan.parts]
    assert keys[:10] == [
        f"{role}:{win}" for win in ("5m", "30m", "1h", "6h", "30d") for role in ("good", "total")
    ]
    assert keys[10:] == ["points:5m", "points:30m", "points:1h", "points:6h", "newest"]
    query = combine(plan.parts)
    # One "or" between parts; the points and newest parts read the total query's selector only,
    # which covers the good one's series (same metric, fewer matchers).
    assert query.count(" or ") == len(plan.parts) - 1
    assert (
        'label_replace(sum(sum(rate(http_requests_total{service="api"}[30d]))), "aegis_part", "total:30d"'
        in query
    )
    assert isinstance(pp.parse(query), pp.BinaryExpr)


def test_plan_timeline_covers_the_short_windows_not_the_long_ones() -> None:
    """Gaps matter in the short windows (5m, 30m); the long ones (1h, 6h) still get sample counts."""
    plan = _plan()
    assert plan.timeline_range == w("35m").seconds  # 30m plus the 5m lookback
    assert plan.evidence_windows == (w("5m"), w("30m"))
    assert [p.key for p in plan.parts if p.role == "points"] == [
        "points:5m", "points:30m", "points:1h", "points:6h"
    ]  # fmt: skip
    # The total query's selector covers the good one's series: one selector is enough.
    assert plan.timeline == '(max(timestamp(http_requests_total{service="api"})))[35m:15s]'
    assert isinstance(pp.parse(plan.timeline), pp.SubqueryExpr)


def test_plan_evidence_keeps_selectors_that_do_not_cover_each_other() -> None:
    """Two metrics, or matchers neither of which is a subset of the other: both are read, tagged."""
    sli = SLISpec(
        SLIType.AVAILABILITY, 'sum(rate(ok{job="a"}[{{window}}]))', 'sum(rate(all{job="a"}[{{window}}]))'
    )
    assert _plan(availability_slo("api", sli=sli)).timeline is not None
    assert (_plan(availability_slo("api", sli=sli)).timeline or "").count("timestamp(") == 2
    sli = SLISpec(
        SLIType.AVAILABILITY,
        'sum(rate(x{job="a",c="1"}[{{window}}]))',
        'sum(rate(x{job="a",d="2"}[{{window}}]))',
    )
    assert (_plan(availability_slo("api", sli=sli)).timeline or "").count("timestamp(") == 2
    sli = SLISpec(
        SLIType.AVAILABILITY, 'sum(rate(x{job="a",c="1"}[{{window}}]))', 'sum(rate(x{job="a"}[{{window}}]))'
    )
    assert (_plan(availability_slo("api", sli=sli)).timeline or "") == '(max(timestamp(x{job="a"})))[35m:15s]'


def test_plan_timeline_covers_twice_the_staleness_limit() -> None:
    """A stale series is found (with its real age) up to twice the limit plus the 5m lookback."""
    slo = availability_slo("api", staleness_limit=w("45m"))
    assert _plan(slo).timeline_range == w("95m").seconds


def test_plan_timeline_step_grows_with_the_range_up_to_the_cap() -> None:
    slo = availability_slo("api", burn_rate_rules=(), window=w("28d"))
    plan = build_plan(slo, slo.windows, max_range=86400, max_points=1440, min_step=15)
    assert plan.timeline is not None and plan.timeline.endswith("[1d:1m]")
    assert plan.evidence_windows == ()


def test_plan_wraps_scalars_and_leaves_range_vectors_alone() -> None:
    slo = availability_slo("api", sli=SLISpec(SLIType.AVAILABILITY, "scalar(sum(x))", "x[{{window}}]"))
    parts = {p.key: p for p in _plan(slo).parts}
    assert parts["good:5m"].as_sample == "vector(scalar(sum(x)))"
    assert parts["total:5m"].as_sample is None


def test_plan_latency_renders_the_threshold_and_unparseable_queries_have_no_evidence() -> None:
    parts = {p.key: p for p in _plan(latency_slo()).parts}
    assert 'le="0.3"' in parts["good:5m"].query and "[5m]" in parts["good:5m"].query
    broken = availability_slo("api", sli=SLISpec(SLIType.AVAILABILITY, "sum(rate(x[{{window}}])", "sum(("))
    plan = _plan(broken)
    assert plan.timeline is None and all(p.role in ("good", "total") for p in plan.parts)
    assert plan.parts[0].as_sample == "sum(sum(rate(x[5m]))"  # assumed a vector; the server decides
