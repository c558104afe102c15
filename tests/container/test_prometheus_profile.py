"""`docker-compose --profile prometheus up`, without Docker: the profile's own files, for real.

Debian's Prometheus runs with the profile's prometheus.yml and the service's flags, scraping the
profile's traffic generator, which runs from the emulated image as its compose service says; the
profile's gate (`aegis-prometheus`) then decides on what Prometheus collected. Two liberties, both
for speed and neither in what is tested: Prometheus scrapes every second instead of every 5 s, and
the gate's time alignment is off so it need not wait for the next 10 s grid point.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests._prometheus import ServerProcess
from tests._requirements import free_port, require_binary
from tests.container._container import compose_config, resolve_hosts, run_service
from tests.container._image import Image

pytestmark = [pytest.mark.prometheus, pytest.mark.timeout(1200)]
ERROR_RATIO = 0.2  # a burn rate of 40 on the README's 99.5% objective: BLOCK as soon as data arrives


def _prometheus_argv(service: Mapping[str, Any], config: Path, data: Path, port: int) -> list[str]:
    """The service's own flags, its mounts pointing at files here."""
    binary = require_binary("prometheus", "/usr/bin/prometheus")
    mounts = {v["target"]: (config if v["type"] == "bind" else data) for v in service["volumes"]}
    argv = [binary]
    for flag in service["command"]:
        name, _, value = flag.partition("=")
        argv.append(f"{name}={mounts[value]}" if value in mounts else flag)
    return [*argv, f"--web.listen-address=127.0.0.1:{port}"]


def _profile_prometheus_config(service: Mapping[str, Any], hosts: Mapping[str, str]) -> dict[str, Any]:
    source = next(Path(v["source"]) for v in service["volumes"] if v["type"] == "bind")
    config: dict[str, Any] = yaml.safe_load(resolve_hosts(source.read_text(), hosts))
    config["global"]["scrape_interval"] = "1s"
    return config


def test_prometheus_profile_gate_blocks_on_what_prometheus_scraped(image: Image, tmp_path: Path) -> None:
    services = compose_config("prometheus")["services"]
    prometheus_port, traffic_port, rest, grpc_port = (free_port() for _ in range(4))
    hosts = {"prometheus:9090": f"127.0.0.1:{prometheus_port}", "traffic:9100": f"127.0.0.1:{traffic_port}"}

    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(_profile_prometheus_config(services["prometheus"], hosts)))
    prometheus = ServerProcess(
        _prometheus_argv(services["prometheus"], config, tmp_path / "tsdb", prometheus_port),
        prometheus_port, "/-/ready", tmp_path / "prometheus.log",
    )  # fmt: skip
    traffic_env = {"TRAFFIC_HOST": "127.0.0.1", "TRAFFIC_PORT": str(traffic_port)}
    traffic_env["ERROR_RATIO"] = str(ERROR_RATIO)
    gate_env = {"HOST": "127.0.0.1", "PORT": str(rest), "GRPC_PORT": str(grpc_port)}
    gate_env["PROMETHEUS_TIME_ALIGNMENT"] = "0"
    with (
        run_service(
            image, services["traffic"], hosts=hosts, overrides=traffic_env,
            port=traffic_port, ready_path="/metrics", scratch=tmp_path / "traffic",
        ),
        run_service(
            image, services["aegis-prometheus"], hosts=hosts, overrides=gate_env,
            port=rest, ready_path="/healthz", scratch=tmp_path / "gate",
        ) as gate,
    ):  # fmt: skip
        prometheus.start()
        try:
            decision = _first_block(gate.url, deadline=time.monotonic() + 60)
        finally:
            prometheus.stop()
    assert decision["sli"]["errorRate"] == pytest.approx(ERROR_RATIO, abs=0.05)
    assert any("fast-burn" in reason for reason in decision["reasons"]), decision["reasons"]


def _first_block(url: str, deadline: float) -> dict[str, Any]:
    """The first fresh decision for the README's SLO that blocks: one that had data behind it.

    Until Prometheus has scraped twice the gate has no rate and says WARN (missing data); a fresh
    Prometheus also shows a collection gap over the rest of each window, which keeps the flag
    ``hasMissingData`` up for half an hour, so the wait is for the rules to fire, not for the flag.
    """
    while True:
        response = httpx.post(
            f"{url}/v1/gate/decision", json={"sloID": "api-availability", "forceFresh": True}, timeout=30
        )
        assert response.status_code == 200, response.text
        decision: dict[str, Any] = response.json()
        if decision["decision"] == "BLOCK":
            return decision
        assert time.monotonic() < deadline, f"the traffic never reached the gate: {decision}"
        time.sleep(0.5)
