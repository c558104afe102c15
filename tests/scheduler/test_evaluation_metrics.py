"""The evaluation side of /metrics, scraped from a live server as Prometheus would."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from aegis.metrics.prometheus import PrometheusAdapter
from aegis.metrics.prometheus_config import PrometheusConfig
from aegis.scheduler import CatalogEntry, Evaluator
from aegis.telemetry import Telemetry
from tests._requirements import free_port
from tests.conftest import FIXTURES, LiveServer, default_settings, start_live, stop_live
from tests.metrics._scenarios import availability_slo


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by (name, sorted labels)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(live: LiveServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await live.rest.get("/metrics")
    assert response.status_code == 200
    return samples(response.text)


async def test_metrics_show_evaluations_load_errors_adapter_errors_and_the_audit(tmp_path: Path) -> None:
    slo_dir = tmp_path / "slo"
    shutil.copytree(FIXTURES / "slo" / "valid", slo_dir)
    shutil.copy(FIXTURES / "slo" / "invalid" / "bad-duration.yaml", slo_dir)
    live = await start_live(default_settings(tmp_path, slo_dir=str(slo_dir)))
    try:
        decided = (
            await live.rest.post("/v1/gate/decision", json={"sloID": "api-availability", "forceFresh": True})
        ).json()
        # A reload that points an SLO at a fixture that does not exist: an adapter error.
        catalog = live.app.catalog
        broken = catalog.entries["web-latency"].slo
        broken = dataclasses.replace(
            broken, sli=dataclasses.replace(broken.sli, good_query="fixture:nope", total_query="fixture:nope")
        )
        catalog.apply(
            [CatalogEntry(broken) if e.slo.id == "web-latency" else e for e in catalog.entries.values()],
            catalog.problems,
        )
        await live.app.scheduler.evaluate_now("web-latency")
        metrics = await scrape(live)
    finally:
        await stop_live(live)

    slo = (("slo_id", "api-availability"),)
    assert metrics[("aegis_evaluation_duration_seconds_count", slo)] >= 1
    assert metrics[("aegis_evaluation_duration_seconds_sum", slo)] > 0
    last = metrics[("aegis_slo_last_evaluation_timestamp_seconds", slo)]
    assert last == datetime.fromisoformat(decided["timestamp"].replace("Z", "+00:00")).timestamp()
    assert metrics[("aegis_slo_load_errors", ())] == 1
    kind = (("kind", "missing_fixture"), ("slo_id", "web-latency"))
    assert metrics[("aegis_adapter_errors_total", kind)] >= 1
    assert metrics[("aegis_audit_commits_total", ())] >= 1
    assert metrics[("aegis_audit_records_written_total", ())] >= 9
    assert metrics[("aegis_audit_store_up", ())] == 1
    assert ("aegis_audit_queue_depth", ()) in metrics
    assert metrics[("aegis_audit_dropped_total", ())] == 0


async def test_metrics_adapter_errors_carry_the_prometheus_adapters_kind() -> None:
    telemetry = Telemetry()
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    adapter = PrometheusAdapter(
        PrometheusConfig.from_options(url, {"timeout": 1.0, "evaluation_budget": 1.0}), recorder=telemetry
    )
    try:
        event = await Evaluator(adapter, telemetry=telemetry).evaluate(availability_slo("dead"))
    finally:
        await adapter.aclose()
    telemetry.on_evaluation(event)
    assert event.error_kind == "connection_error"
    labels = {"slo_id": "dead-availability", "kind": "connection_error"}
    assert telemetry.registry.get_sample_value("aegis_adapter_errors_total", labels) == 1
