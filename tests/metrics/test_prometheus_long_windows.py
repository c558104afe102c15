"""The compliance window is read at most every ``long_window_interval`` when nothing gates on it.

On the real Prometheus and VictoriaMetrics: a second evaluation within the interval asks the
values query without the 30d parts and keeps the 30d numbers of the first, its data timestamp no
newer than that read; the rule windows are read afresh every time. A budget policy, which gates
on the compliance window, gets it read every time; a failed read is not kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from aegis.metrics.prometheus import PrometheusAdapter
from aegis.spec.durations import Window
from aegis.spec.model import BudgetPolicy
from tests._prometheus import ServerProcess
from tests.metrics._faultproxy import FaultProxy
from tests.metrics._scenarios import availability_slo, fast_config

MONTH = Window.parse("30d")


def _config(url: str, **changes: object) -> object:
    return fast_config(url, query_timeout=60.0, evaluation_budget=100.0, time_alignment=0, **changes)


async def test_long_window_is_kept_between_reads_with_its_age(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess
) -> None:
    slo = availability_slo("fast-burn")
    adapter = make_adapter(_config(backend.url))
    always = make_adapter(_config(backend.url, long_window_interval=0))
    first_at = datetime.now(UTC) - timedelta(minutes=2)
    later_at = first_at + timedelta(minutes=1)
    first = await adapter.measure(slo, slo.windows, first_at)
    later = await adapter.measure(slo, slo.windows, later_at)
    fresh = await always.measure(slo, slo.windows, later_at)
    # The 30d numbers are the first read's, and say they are no newer than it.
    assert later.windows[MONTH].good == first.windows[MONTH].good
    assert later.windows[MONTH].total == first.windows[MONTH].total
    stamp = later.windows[MONTH].data_timestamp
    assert stamp is not None and stamp <= first_at
    assert later.windows[MONTH].good != pytest.approx(fresh.windows[MONTH].good, rel=1e-12)
    # The rule windows are read afresh.
    for window in slo.rule_windows:
        assert later.windows[window] == fresh.windows[window]


async def test_long_window_query_leaves_out_the_30d_parts_in_between(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    slo = availability_slo("healthy")
    adapter = make_adapter(_config(proxy.url))
    at = datetime.now(UTC) - timedelta(minutes=2)
    await adapter.measure(slo, slo.windows, at)
    await adapter.measure(slo, slo.windows, at + timedelta(minutes=1))
    await adapter.measure(slo, slo.windows, at + timedelta(minutes=16))  # past the 15 min interval
    values = [seen.form["query"] for seen in proxy.seen if "aegis_part" in seen.form["query"]]
    assert ["30d" in query for query in values] == [True, False, True]
    assert adapter.requests_total == 6


async def test_long_window_under_a_budget_policy_is_read_every_time(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    slo = dataclasses.replace(availability_slo("healthy"), budget_policy=BudgetPolicy(block_below=0.1))
    adapter = make_adapter(_config(proxy.url))
    at = datetime.now(UTC) - timedelta(minutes=2)
    await adapter.measure(slo, slo.windows, at)
    later = await adapter.measure(slo, slo.windows, at + timedelta(minutes=1))
    values = [seen.form["query"] for seen in proxy.seen if "aegis_part" in seen.form["query"]]
    assert all("30d" in query for query in values) and len(values) == 2
    stamp = later.windows[MONTH].data_timestamp
    assert stamp is not None and stamp > at


async def test_long_window_failed_read_is_not_kept(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    slo = availability_slo("healthy")
    adapter = make_adapter(_config(proxy.url, max_attempts=1))
    at = datetime.now(UTC) - timedelta(minutes=2)
    proxy.fail(status=500, body=b"down")
    failed = await adapter.measure(slo, slo.windows, at)
    assert failed.windows[MONTH].error is not None
    proxy.heal()
    await adapter.measure(slo, slo.windows, at + timedelta(minutes=1))
    values = [seen.form["query"] for seen in proxy.seen if "aegis_part" in seen.form["query"]]
    assert "30d" in values[-1]
