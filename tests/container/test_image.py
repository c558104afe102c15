"""The image's install and start commands, run from the Dockerfile itself in a clean virtualenv.

No Docker engine runs here; tests/container/_image.py replays the Dockerfile's instructions into a
directory (scripts/install.sh for real, into a fresh venv at the image's /opt/aegis), and the
`aegis` service of docker-compose.yml is started from it as `docker-compose up` would start it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests._requirements import free_port
from tests.container._container import ROOT, compose_config, run_service
from tests.container._image import INSTALL_SCRIPT, Image, base_env

pytestmark = pytest.mark.timeout(1200)  # the session's image build may land on the first test


def _python(image: Image, code: str) -> subprocess.CompletedProcess[str]:
    """``python -c CODE`` inside the image: its PATH, its working directory (not this checkout)."""
    return subprocess.run(
        ["python", "-c", code], env=image.process_env(base_env(), {}, {}), cwd=image.host_path(image.workdir),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_image_and_make_install_share_the_install_script(image: Image) -> None:
    make = subprocess.run(
        ["make", "-nB", "install"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert INSTALL_SCRIPT in make.stdout, make.stdout
    # Every RUN of the build stages was the install script; only the final stage's OS setup
    # (user, /data) was not carried out, and it installs nothing.
    final_stage = {stage for stage, _ in image.skipped}
    assert len(final_stage) <= 1, image.skipped
    assert all("pip" not in line and INSTALL_SCRIPT not in line for _, line in image.skipped)


def test_image_holds_the_package_without_test_extras_and_with_postgres(image: Image) -> None:
    venv = image.host_path(image.env["VIRTUAL_ENV"])
    result = _python(image, "import aegis, psycopg; print(aegis.__file__)")
    assert result.returncode == 0, result.stderr
    # Installed into the venv, not linked to a source tree (the build stage is gone).
    assert Path(result.stdout.strip()).is_relative_to(venv)
    for tool in ("pytest", "mypy", "hypothesis", "ruff"):
        probe = _python(image, f"import importlib.util as u, sys; sys.exit(u.find_spec({tool!r}) is None)")
        assert probe.returncode == 1, f"{tool} is in the runtime image"
    assert image.host_path("/app/fixtures/slo/valid").is_dir()
    assert image.exposed == ["8080", "50051"]


def test_compose_up_serves_the_quick_start(image: Image, tmp_path: Path) -> None:
    """`docker-compose up`, then the README's curls: /healthz, the HEALTHCHECK, a decision."""
    service = compose_config()["services"]["aegis"]
    rest, grpc_port = free_port(), free_port()
    overrides = {"HOST": "127.0.0.1", "PORT": str(rest), "GRPC_PORT": str(grpc_port)}
    with run_service(
        image, service, hosts={}, overrides=overrides, port=rest, ready_path="/healthz", scratch=tmp_path
    ) as server:
        health = httpx.get(f"{server.url}/healthz", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        decision = httpx.post(
            f"{server.url}/v1/gate/decision",
            json={"sloID": "api-availability"},
            timeout=10,
        )
        assert decision.status_code == 200, decision.text
        assert decision.json()["decision"] == "ALLOW", decision.text
        healthcheck = _healthcheck(image, overrides)
        assert healthcheck.returncode == 0, healthcheck.stderr
        # The audit log lands on the volume, the one place the image's user may write.
        assert image.host_path("/data/aegis.db").is_file()
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)  # `docker stop`
        assert server.process.wait(timeout=30) == 0
    unhealthy = _healthcheck(image, overrides)
    assert unhealthy.returncode == 1
    assert f"127.0.0.1:{rest}/healthz" in unhealthy.stderr


def _healthcheck(image: Image, overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK command, in the container's environment."""
    env = image.process_env(base_env(), {}, overrides)
    return subprocess.run(
        image.healthcheck, env=env, cwd=image.host_path(image.workdir),
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def test_healthcheck_command_is_run_by_the_image_python(image: Image) -> None:
    env = image.process_env(base_env(), {}, {})
    assert image.healthcheck[:3] == ["python", "-m", "aegis.cli.healthcheck"]
    first = next(
        Path(directory) / "python"
        for directory in env["PATH"].split(os.pathsep)
        if (Path(directory) / "python").exists()
    )
    assert first.parent == image.host_path(image.env["VIRTUAL_ENV"]) / "bin"
