"""SLOs that differ only in one label's value are read as one family, with the same results.

Against the real Prometheus and VictoriaMetrics: every scenario SLO (healthy, burning, stopped,
idle, missing, with a collection hole, sparse) read in one batch gives exactly what it gives read
alone, evidence included; a batch the server refuses is read SLO by SLO; a failure is each
member's WARN. The shapes that take part, and those that do not, are checked on the parser.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

import promql_parser as pp
import pytest

from aegis.metrics._family import family_of, quote_meta, regex, shape
from aegis.metrics._plan import build_plan
from aegis.metrics.base import Measurement
from aegis.metrics.prometheus import PrometheusAdapter
from aegis.spec.model import SLISpec, SLIType
from tests._prometheus import ServerProcess
from tests.metrics._faultproxy import FaultProxy
from tests.metrics._scenarios import availability_slo, fast_config

SERVICES = ("healthy", "fast-burn", "slow-burn", "spike", "api", "stale", "idle", "ghost", "gappy", "sparse")
FAMILY = [availability_slo(s) for s in SERVICES]


def _config(url: str, **changes: object) -> object:
    return fast_config(url, query_timeout=60.0, evaluation_budget=100.0, **changes)


async def _cycle(adapter: PrometheusAdapter, at: datetime) -> list[Measurement]:
    return list(await asyncio.gather(*(adapter.measure(s, s.windows, at) for s in FAMILY)))


def _same(batched: Measurement, alone: Measurement) -> None:
    assert batched.at == alone.at
    for window, one in alone.windows.items():
        other = batched.windows[window]
        assert other.good == pytest.approx(one.good), window
        assert other.total == pytest.approx(one.total), window
        assert (other.data_timestamp, other.data_points, other.longest_gap, other.error) == (
            one.data_timestamp,
            one.data_points,
            one.longest_gap,
            one.error,
        ), window


async def test_family_reads_exactly_what_each_slo_reads_alone(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess
) -> None:
    batched = make_adapter(_config(backend.url))
    alone = make_adapter(_config(backend.url, batch_window=0))
    at = datetime.now(UTC)
    together, apart = await _cycle(batched, at), await _cycle(alone, at)
    for one, other in zip(together, apart, strict=True):
        _same(one, other)
    # No data is never zero, even inside a family: the service without series reads None.
    ghost = together[SERVICES.index("ghost")]
    assert all(s.good is None and s.total is None and s.error is None for s in ghost.windows.values())
    assert batched.requests_total == 2
    assert alone.requests_total == 2 * len(FAMILY)


async def test_family_value_with_regex_characters_matches_only_itself(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess
) -> None:
    """``heal.hy`` would match ``healthy`` if the dot were not escaped; it must read no data."""
    lookalike = availability_slo("heal.hy")
    adapter = make_adapter(_config(backend.url))
    at = datetime.now(UTC)
    measured = await asyncio.gather(
        *(adapter.measure(s, s.windows, at) for s in (availability_slo("healthy"), lookalike))
    )
    assert all(s.good is not None for s in measured[0].windows.values())
    assert all(s.good is None and s.error is None for s in measured[1].windows.values())
    assert adapter.requests_total == 2


async def test_family_refused_by_the_server_is_read_slo_by_slo(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy, prometheus: ServerProcess
) -> None:
    body = json.dumps({"status": "error", "errorType": "bad_data", "error": "query too long"}).encode()
    proxy.fail(status=400, body=body, times=1)
    adapter = make_adapter(_config(proxy.url))
    reference = make_adapter(_config(prometheus.url, batch_window=0))
    at = datetime.now(UTC)
    together, apart = await _cycle(adapter, at), await _cycle(reference, at)
    for one, other in zip(together, apart, strict=True):
        _same(one, other)
    assert "sum by (service)" in proxy.seen[0].form["query"]
    assert any("sum by (service)" not in seen.form["query"] for seen in proxy.seen[1:])


async def test_family_failure_is_a_warn_for_every_member(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    proxy.fail(status=503, body=b"overloaded")
    adapter = make_adapter(fast_config(proxy.url, max_attempts=2))
    measurements = await _cycle(adapter, datetime.now(UTC))
    for measurement in measurements:
        for sample in measurement.windows.values():
            assert sample.good is None and sample.error is not None and "HTTP 503" in sample.error
            assert sample.longest_gap is None
    assert adapter.requests_total == 2 * 2  # values + timeline, two attempts each, for all ten


async def test_family_requests_stay_under_the_size_limit(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    """A limit that fits about three values per values query: more requests, each short enough."""
    plan = build_plan(FAMILY[0], FAMILY[0].windows, max_range=86400, max_points=1440, min_step=15)
    limit = len(plan.batched_values or "") + 400
    adapter = make_adapter(_config(proxy.url, batch_max_query_bytes=limit))
    measurements = await _cycle(adapter, datetime.now(UTC))
    assert all(not s.error for m in measurements for s in m.windows.values())
    values = [seen.form["query"] for seen in proxy.seen if "aegis_part" in seen.form["query"]]
    assert len(values) >= 3
    assert all(len(query.encode()) <= limit for query in values)


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ('sum(rate(http_requests_total{service="a",code!~"5.."}[5m]))', "service"),
        ('rate(x{job="a"}[1h])', "job"),
        ('sum(increase(x{team="t",service="s"}[30m]))', "service"),
        ('sum(x{b="1",a="2"})', "a"),
        ('x{service="s"}', "service"),
    ],
)
def test_family_shapes_that_take_part(query: str, label: str) -> None:
    found = shape(pp.parse(query))
    assert found is not None
    family = family_of([found])
    assert family is not None and family.label == label


@pytest.mark.parametrize(
    "query",
    [
        'sum by (code) (rate(x{service="a"}[5m]))',  # grouped: another answer shape
        'sum(rate(x{service="a"}[5m] offset 1h))',  # time-shifted
        'sum(rate(x{service="a"}[5m])) / 2',  # arithmetic
        'max(rate(x{service="a"}[5m]))',  # not a sum
        'sum(label_replace(rate(x{service="a"}[5m]), "service", "b", "", ""))',  # relabels
        "sum(rate(x[5m]))",  # nothing to tell members apart
        'sum(rate(x{service=~"a"}[5m]))',  # a regex, not a value
        'sum(rate({__name__="x"}[5m]))',  # the metric name is no family label
    ],
)
def test_family_shapes_that_do_not(query: str) -> None:
    found = shape(pp.parse(query))
    assert found is None or family_of([found]) is None


def test_family_needs_one_value_in_good_and_total() -> None:
    good = shape(pp.parse('sum(rate(x{service="a",code="200"}[5m]))'))
    total = shape(pp.parse('sum(rate(x{service="b"}[5m]))'))
    assert good is not None and total is not None
    assert family_of([good, total]) is None


def test_family_slo_with_another_shape_is_read_alone() -> None:
    slo = availability_slo("api", sli=SLISpec(SLIType.AVAILABILITY, "scalar(sum(x))", "sum(x)"))
    plan = build_plan(slo, slo.windows, max_range=86400, max_points=1440, min_step=15)
    assert plan.family is None and plan.batched_values is None


@pytest.mark.parametrize(
    "value", ["a.b", "x|y", "(p)", "a+b*c?", "[z]{2}", "^$", "back\\slash", "plain-9 ok"]
)
def test_family_regex_matches_each_value_and_nothing_else(value: str) -> None:
    pattern = re.compile(f"^(?:{json.loads(regex([value, 'other']))})$")
    assert pattern.match(value) and pattern.match("other")
    assert not pattern.match(value + "x") and not pattern.match("x" + value)
    assert quote_meta("plain-9 ok") == "plain-9 ok"


def test_family_twins_share_one_read() -> None:
    """A twin (same queries, another SLO id) is the same member: asked once."""
    first = availability_slo("healthy")
    twin = dataclasses.replace(first, id="twin")
    plans = [build_plan(s, s.windows, max_range=86400, max_points=1440, min_step=15) for s in (first, twin)]
    assert plans[0].family == plans[1].family
    assert plans[0].batched_values == plans[1].batched_values


async def test_family_requests_hold_at_most_the_member_limit(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    """Ten SLOs at three per request: four values queries and four timelines, all answered."""
    adapter = make_adapter(_config(proxy.url, batch_max_members=3))
    measurements = await _cycle(adapter, datetime.now(UTC))
    assert all(not s.error for m in measurements for s in m.windows.values())
    assert adapter.requests_total == proxy.requests == 8
    for seen in proxy.seen:
        values = re.findall(r'service=~"([^"]*)"', seen.form["query"])
        assert values and all(len(v.split("|")) <= 3 for v in values)
