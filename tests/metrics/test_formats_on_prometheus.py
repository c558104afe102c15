"""OpenSLO and Sloth SLOs on a real Prometheus: they evaluate, their conversions evaluate the same,
``aegis rules`` passes ``promtool check rules``, its series and alerts appear once Prometheus
loads the rules, and ``--prometheus-recorded-series`` reads them with every adapter guarantee.

One Prometheus holds the projects' example metrics, backfilled: Sloth's ``myservice`` (5% errors
for the last 90 minutes, so its page rules BLOCK), the OpenSLO README's
``localhost_server_requests`` (0.5% errors against a 98% objective: ALLOW) and the OpenSLO
web shop (1% errors against 99.5% over 2w: only the ticket-quick rule, 1.4x, fires: WARN). The
Kubernetes example has no data there at all. It loads the rules ``aegis rules``
exports for those SLOs, plus a file recording known constants under one probe SLO's names.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from aegis.engine.model import Evaluation
from aegis.engine.policy import evaluate
from aegis.metrics.base import Measurement
from aegis.metrics.prometheus import PrometheusAdapter, PrometheusConfig
from aegis.metrics.recorded import GOOD, TOTAL, matchers, series_name, slo_labels
from aegis.metrics.rules_export import rule_file, rule_groups
from aegis.spec.document import aegis_document
from aegis.spec.formats.aegis_v1 import AEGIS_V1
from aegis.spec.loader import load_directory
from aegis.spec.model import SLO, Decision
from tests._prometheus import (
    FUTURE,
    HISTORY,
    History,
    Profile,
    Segment,
    Series,
    ServerProcess,
    backfill,
    running_prometheus,
)
from tests._requirements import require_binary
from tests.conftest import FIXTURES, default_settings, start_live, stop_live
from tests.metrics._scenarios import fast_config

pytestmark = pytest.mark.prometheus

# Sloth's home-wifi example reads its gauge through [3d:] subqueries at the rule interval: far too
# heavy at the 2s interval used here, and it has no data here anyway (the Kubernetes example shows that).
SLOS = {
    slo.id: slo
    for d in ("openslo", "sloth")
    for slo in load_directory(FIXTURES / "slo" / d).slos
    if not slo.id.startswith("home-wifi")
}
EXPECTED = {
    "myservice-requests-availability": Decision.BLOCK,
    "myservice2-requests-availability": Decision.BLOCK,
    "foo-slo": Decision.ALLOW,
    "web-shop-checkout": Decision.WARN,
    "k8s-apiserver-requests-availability": Decision.WARN,
}
FOREVER = -HISTORY
# A probe SLO reading the web shop's data, and constants recorded under its series names.
PROBE = dataclasses.replace(SLOS["web-shop-checkout"], id="recorded-probe", name="recorded-probe")
PROBE_GOOD, PROBE_TOTAL = 900.0, 1000.0


def _renamed(series: Series, name: str, labels: dict[str, str]) -> Series:
    return Series(name, labels, list(series.points))


def _history() -> History:
    profiles = [
        Profile("web-shop", (Segment(HISTORY + 60, FOREVER, 20.0, 0.01),)),
        Profile("myservice", (Segment(HISTORY + 60, 5400, 20.0, 0.0001), Segment(5400, FOREVER, 20.0, 0.05))),
        Profile("foo", (Segment(HISTORY + 60, FOREVER, 20.0, 0.005),)),
    ]
    # Data up to now and not beyond: Prometheus refuses to record rule results into the time a
    # backfilled block already covers, so the usual 20 minutes of future samples would stop the rules.
    built = History.build(profiles, now=int(time.time()) - FUTURE)
    shop = [s for s in built.series if s.labels["service"] == "web-shop"]
    sloth = [
        _renamed(s, "http_request_duration_seconds_count", {"job": "myservice", "code": s.labels["code"]})
        for s in built.series
        if s.labels["service"] == "myservice"
    ]
    good = built.find("http_requests_total", service="foo", code="200")
    bad = built.find("http_requests_total", service="foo", code="500")
    where = {"host": "*", "instance": "127.0.0.1:9090"}
    openslo = [
        _renamed(good, "localhost_server_requests", {"code": "2xx", **where}),
        Series(
            "localhost_server_requests",
            {"code": "total", **where},
            [(t, g + b) for (t, g), (_, b) in zip(good.points, bad.points, strict=True)],
        ),
    ]
    return History(built.now, [*shop, *sloth, *openslo], built.profiles)


def _probe_rules() -> dict[str, object]:
    rules = []
    for window in PROBE.windows:
        labels = {**slo_labels(PROBE), "sloth_window": window.text}
        rules += [
            {"record": series_name(GOOD, window), "expr": f"vector({PROBE_GOOD})", "labels": labels},
            {"record": series_name(TOTAL, window), "expr": f"vector({PROBE_TOTAL})", "labels": labels},
        ]
    return {"groups": [{"name": "probe", "rules": rules}]}


def _query(server: ServerProcess, promql: str) -> list[dict[str, object]]:
    response = httpx.get(f"{server.url}/api/v1/query", params={"query": promql}, timeout=10)
    response.raise_for_status()
    result: list[dict[str, object]] = response.json()["data"]["result"]
    return result


def _wait_for(server: ServerProcess, promql: str, timeout: float = 60.0) -> list[dict[str, object]]:
    """Rules run every 2s from Prometheus' start: wait until ``promql`` has an answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _query(server, promql)
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no series for {promql} after {timeout}s")


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    groups, skipped = rule_groups(SLOS.values())
    assert skipped == []
    path = tmp_path_factory.mktemp("rules") / "aegis-rules.yml"
    path.write_text(yaml.safe_dump(rule_file(groups), sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(rules_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("formats-prometheus")
    probe = workdir / "probe-rules.yml"
    probe.write_text(yaml.safe_dump(_probe_rules()), encoding="utf-8")
    blocks = backfill(_history(), workdir / "blocks")
    with running_prometheus(
        blocks, workdir / "server", rule_files=(rules_file, probe), evaluation_interval="2s"
    ) as running:
        for slo in (SLOS["myservice-requests-availability"], PROBE):
            _wait_for(running, series_name(TOTAL, slo.window) + matchers({"sloth_id": slo.id}))
        yield running


Measure = Callable[[SLO], "Measured"]


@dataclasses.dataclass(frozen=True)
class Measured:
    measurement: Measurement
    evaluation: Evaluation


async def _measure(adapter: PrometheusAdapter, slo: SLO, at: datetime) -> Measured:
    measurement = await adapter.measure(slo, slo.windows, at)
    return Measured(measurement, evaluate(slo, measurement, evaluation_id="t", now=at))


def _config(server: ServerProcess, **changes: Any) -> PrometheusConfig:
    """Generous timeouts: these tests count requests, which a timeout on a busy machine would change."""
    return dataclasses.replace(
        PrometheusConfig(server.url, query_timeout=30.0, evaluation_budget=60.0), **changes
    )


def _converted(slo: SLO) -> SLO:
    return AEGIS_V1.build(aegis_document(slo), "converted.yaml")[0].slo


@pytest.mark.parametrize("slo_id", sorted(EXPECTED))
async def test_openslo_and_sloth_slos_evaluate_on_prometheus_as_their_conversions_do(
    server: ServerProcess, make_adapter: Callable[..., PrometheusAdapter], slo_id: str
) -> None:
    adapter = make_adapter(_config(server))
    at = datetime.now(UTC)
    original = await _measure(adapter, SLOS[slo_id], at)
    converted = await _measure(adapter, _converted(SLOS[slo_id]), at)

    assert original.evaluation.decision is EXPECTED[slo_id], original.evaluation.reasons
    assert converted.evaluation.decision is original.evaluation.decision
    assert converted.evaluation.reasons == original.evaluation.reasons
    assert converted.measurement.windows == original.measurement.windows


async def test_the_examples_burn_as_their_traffic_says(
    server: ServerProcess, make_adapter: Callable[..., PrometheusAdapter]
) -> None:
    adapter = make_adapter(_config(server))
    at = datetime.now(UTC)
    sloth = (await _measure(adapter, SLOS["myservice-requests-availability"], at)).evaluation
    # 5% errors against a 0.1% budget: 50x over both page-quick windows.
    assert sloth.burn_rates["5m"].burn_rate == pytest.approx(50.0, rel=0.02)
    # Every window but the 5m and 1h ones also holds hours at 0.01%; all still burn above 6x.
    assert [r.name for r in sloth.rules if r.fired] == [
        "page-quick",
        "page-slow",
        "ticket-quick",
        "ticket-slow",
    ]
    shop = (await _measure(adapter, SLOS["web-shop-checkout"], at)).evaluation
    assert shop.burn_rates["1h"].burn_rate == pytest.approx(2.0, rel=0.02)
    assert [r.name for r in shop.rules if r.fired] == ["ticket-quick", "ticket-slow"]
    nothing = (await _measure(adapter, SLOS["k8s-apiserver-requests-availability"], at)).evaluation
    assert nothing.has_missing_data and nothing.sli is None


def test_exported_rules_pass_promtool_check_rules(rules_file: Path, tmp_path: Path) -> None:
    promtool = require_binary("promtool", "/usr/bin/promtool")
    valid = tmp_path / "valid-rules.yml"
    groups, skipped = rule_groups(load_directory(FIXTURES / "slo" / "valid").slos)
    assert {s.slo_id for s in skipped} == {
        "api-warn-only",
        "batch-zero-traffic",
        "billing-stale",
        "checkout-fast-burn",
        "payments-budget-policy",
        "recommendations-dry-run",
        "search-slow-burn",
    }
    valid.write_text(yaml.safe_dump(rule_file(groups)), encoding="utf-8")
    for path in (rules_file, valid):
        checked = subprocess.run(
            [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "SUCCESS" in checked.stdout


def test_loaded_rules_record_sloths_series_and_fire_the_page_alert(server: ServerProcess) -> None:
    ratio = _wait_for(server, 'slo:sli_error:ratio_rate5m{sloth_id="myservice-requests-availability"}')
    labels = ratio[0]["metric"]
    assert isinstance(labels, dict)
    assert {k: labels[k] for k in ("sloth_service", "sloth_slo", "sloth_window", "owner", "tier")} == {
        "sloth_service": "myservice",
        "sloth_slo": "requests-availability",
        "sloth_window": "5m",
        "owner": "myteam",
        "tier": "2",
    }
    value = ratio[0]["value"]
    assert isinstance(value, list)
    assert float(value[1]) == pytest.approx(0.05, rel=0.02)
    shop = _wait_for(server, 'slo:sli_error:ratio_rate1h{sloth_id="web-shop-checkout"}')
    assert float(shop[0]["value"][1]) == pytest.approx(0.01, rel=0.02)  # type: ignore[index]
    remaining = _wait_for(server, 'slo:period_error_budget_remaining:ratio{sloth_id="web-shop-checkout"}')
    assert float(remaining[0]["value"][1]) < 0  # type: ignore[index]  # 2x burn: the 2w budget is overspent
    alerts = _wait_for(
        server, 'ALERTS{alertname="AegisSLOErrorBudgetBurn", sloth_id="myservice-requests-availability"}'
    )
    assert {(a["metric"]["aegis_rule"], a["metric"]["sloth_severity"]) for a in alerts} == {  # type: ignore[index]
        ("page-quick", "page"),
        ("page-slow", "page"),
        ("ticket-quick", "ticket"),
        ("ticket-slow", "ticket"),
    }
    assert _query(server, 'ALERTS{sloth_id="foo-slo"}') == []


async def test_recorded_series_give_the_raw_answers_with_the_same_evidence(
    server: ServerProcess, make_adapter: Callable[..., PrometheusAdapter]
) -> None:
    at = datetime.now(UTC)
    for slo_id, decision in EXPECTED.items():
        slo = SLOS[slo_id]
        # Fresh adapters (no answers cached from another SLO with the same queries), and no time
        # alignment: the evaluation time is now, when the rules have recorded already.
        raw = make_adapter(_config(server, time_alignment=0))
        recorded = make_adapter(_config(server, time_alignment=0, recorded_series=True))
        by_raw, by_recorded = await _measure(raw, slo, at), await _measure(recorded, slo, at)
        requests = (raw.requests_total, recorded.requests_total)
        assert by_recorded.evaluation.decision is decision, by_recorded.evaluation.reasons
        for window, sample in by_raw.measurement.windows.items():
            again = by_recorded.measurement.windows[window]
            # Evidence is always raw: the same newest sample, points and gaps.
            assert (again.data_timestamp, again.data_points, again.longest_gap) == (
                sample.data_timestamp,
                sample.data_points,
                sample.longest_gap,
            )
            if sample.total is None:
                # No data is no data: nothing recorded, and the raw query finds nothing either.
                assert (again.good, again.total, again.error) == (None, None, None)
            else:
                assert again.total is not None and again.good is not None and sample.good is not None
                # Recorded at most one 2s rule evaluation before: the same ratio.
                assert again.good / again.total == pytest.approx(sample.good / sample.total, abs=2e-4)
        has_data = all(s.total is not None for s in by_raw.measurement.windows.values())
        # Raw: one combined query and the timeline. Recorded: the same, plus the recorded timeline,
        # which cannot cover a day yet (the rules started seconds ago), and without recorded values
        # (no data), the raw values.
        assert requests == ((2, 3) if has_data else (2, 4)), slo_id


async def test_a_recorded_timeline_replaces_the_raw_one_once_it_covers_the_range(
    server: ServerProcess, make_adapter: Callable[..., PrometheusAdapter]
) -> None:
    # A 20s timeline (15s steps), which the newest-sample series covers once recorded for 30s.
    slo = SLOS["myservice-requests-availability"]
    raw = make_adapter(_config(server, time_alignment=0, timeline_max_range=20))
    recorded = make_adapter(_config(server, time_alignment=0, timeline_max_range=20, recorded_series=True))
    newest = "slo:sli_newest_sample:timestamp" + matchers({"sloth_id": slo.id})
    _wait_for(server, f"{newest} and on() (time() - 30 > min_over_time(timestamp({newest})[5m:1s]))")
    at = datetime.now(UTC)
    by_raw, by_recorded = await _measure(raw, slo, at), await _measure(recorded, slo, at)
    assert (raw.requests_total, recorded.requests_total) == (2, 2)
    assert by_recorded.evaluation.decision is by_raw.evaluation.decision is Decision.BLOCK
    assert by_recorded.evaluation.data_timestamp == by_raw.evaluation.data_timestamp
    assert by_recorded.evaluation.is_stale is by_raw.evaluation.is_stale is False


async def test_recorded_series_are_read_when_they_exist_and_never_when_the_queries_changed(
    server: ServerProcess, make_adapter: Callable[..., PrometheusAdapter]
) -> None:
    recorded = make_adapter(_config(server, time_alignment=0, recorded_series=True))
    at = datetime.now(UTC)
    probe = (await recorded.measure(PROBE, PROBE.windows, at)).windows
    assert {(s.good, s.total) for s in probe.values()} == {(PROBE_GOOD, PROBE_TOTAL)}
    # Raw evidence still: the web shop's own samples.
    raw = make_adapter(_config(server, time_alignment=0))
    shop = (await raw.measure(PROBE, PROBE.windows, at)).windows
    assert [s.data_points for s in probe.values()] == [s.data_points for s in shop.values()]
    assert probe[PROBE.windows[0]].data_points
    changed_sli = dataclasses.replace(
        PROBE.sli, total_query=PROBE.sli.total_query.replace("sum(", "sum (", 1)
    )
    changed = dataclasses.replace(PROBE, sli=changed_sli)
    raw_answers = (await recorded.measure(changed, changed.windows, at)).windows
    assert all(s.total != PROBE_TOTAL and s.total is not None for s in raw_answers.values())
    assert matchers(slo_labels(changed)) != matchers(slo_labels(PROBE))


async def test_recorded_series_on_an_unreachable_prometheus_warn_with_the_reason(
    make_adapter: Callable[..., PrometheusAdapter],
) -> None:
    from tests._requirements import free_port

    adapter = make_adapter(fast_config(f"http://127.0.0.1:{free_port()}", recorded_series=True))
    slo = SLOS["web-shop-checkout"]
    at = datetime.now(UTC)
    result = await _measure(adapter, slo, at)
    assert result.evaluation.decision is Decision.WARN
    assert all(s.error for s in result.measurement.windows.values())


async def test_the_server_gates_on_sloth_and_openslo_files_beside_ours_from_recorded_series(
    server: ServerProcess, tmp_path: Path
) -> None:
    slo_dir = tmp_path / "slos"
    slo_dir.mkdir()
    shutil.copy(FIXTURES / "slo" / "sloth" / "multifile.yml", slo_dir)
    shutil.copy(FIXTURES / "slo" / "openslo" / "web-shop.yaml", slo_dir)
    shutil.copy(FIXTURES / "slo" / "valid" / "api-availability.yaml", slo_dir)
    settings = default_settings(
        tmp_path,
        slo_dir=str(slo_dir),
        adapter="prometheus",
        prometheus_url=server.url,
        prometheus_options={"recorded_series": True, "time_alignment": 0.0},
    )
    live = await start_live(settings)
    try:
        listed = (await live.rest.get("/v1/slo")).json()
        ids = sorted(s["id"] for s in listed["slos"])
        assert ids == [
            "api-availability",
            "myservice-requests-availability",
            "myservice2-requests-availability",
            "web-shop-checkout",
        ]
        decisions = {}
        for slo_id in ("myservice-requests-availability", "web-shop-checkout"):
            response = await live.rest.post("/v1/gate/decision", json={"sloID": slo_id, "forceFresh": True})
            assert response.status_code == 200, response.text
            decisions[slo_id] = response.json()["decision"]
        assert decisions == {"myservice-requests-availability": "BLOCK", "web-shop-checkout": "WARN"}
    finally:
        await stop_live(live)
