"""What the manifests ask of the server is what the server does: real flags, real files, a real start.

- Every container arg is a flag aegis-server parses (its own parser, with its own checks), every
  environment variable is one it reads, and every path it is given lies in a mounted volume that
  holds that file.
- The ConfigMap's SLO files pass `aegis validate` (with the backends file, so every backend an SLO
  names exists); the backends file and the API keys file load with the server's own loaders.
- The init container's `aegis db upgrade` runs on a real PostgreSQL, and the server then starts from
  exactly the container's command line on that database, reads the pod's files, answers /healthz and /readyz,
  and enforces the API keys.
"""

from __future__ import annotations

import argparse
import ssl
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from aegis.auth.keys import load_keys
from aegis.cli import _database_options
from aegis.cli.main import build_parser as aegis_parser
from aegis.cli.server import parse_settings
from aegis.metrics.backends_file import load_backends_file
from tests._aegis_process import aegis_server
from tests._postgres import PostgresServer, create_database
from tests._tls import Authority, Issued
from tests.deploy._k8s import MANIFEST_VALUES, manifests, rendered
from tests.deploy._pod import Pod, inside, relocated_args

pytestmark = pytest.mark.external  # the real helm and kubeconform

PLACEHOLDER_URL = "postgresql+psycopg://aegis@postgres.example/aegis"
BIN = Path(sys.executable).parent


class RecordingEnv(dict[str, str]):
    """The environment, noting every name the parser asks for."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


def _env(container: dict[str, Any]) -> dict[str, str]:
    """The container's environment; values from Secrets become a placeholder of the right shape."""
    return {e["name"]: e.get("value", PLACEHOLDER_URL) for e in container.get("env", [])}


def _pods() -> dict[str, Pod]:
    tls = ["tls.enabled=true", "tls.secretName=aegis-tls", "tls.clientCA=true",
           "probes.liveness.tcpSocket.port=rest", "probes.readiness.tcpSocket.port=rest"]  # fmt: skip
    return {
        "manifests": Pod.of(manifests()),
        "chart-defaults": Pod.of(rendered()),
        "chart-tls": Pod.of(rendered(MANIFEST_VALUES, sets=tls)),
        "chart-sqlite": Pod.of(rendered(sets=["replicaCount=1", "database.existingSecret="])),
    }


@pytest.fixture(scope="module")
def pods() -> dict[str, Pod]:
    return _pods()


@pytest.mark.parametrize("name", ["manifests", "chart-defaults", "chart-tls", "chart-sqlite"])
def test_container_args_are_flags_the_server_accepts(pods: dict[str, Pod], name: str) -> None:
    pod = pods[name]
    container = pod.container()
    args = container["args"]
    env = RecordingEnv(_env(container))
    try:
        settings = parse_settings(args, env)
    except SystemExit as exit_:  # pragma: no cover - the assertion's message is the point
        pytest.fail(f"{name}: aegis-server refuses the container's args {args}: {exit_.code}")
    assert settings.slo_dir == "/etc/aegis/slos"
    assert settings.backends_file == "/etc/aegis/backends/backends.yaml"
    unknown = set(env) - env.asked
    assert not unknown, f"{name}: environment variables aegis-server does not read: {sorted(unknown)}"
    # Every path the server is given is a file or directory its volumes provide.
    for arg in args:
        flag, _, value = arg.partition("=")
        if not value.startswith("/"):
            continue
        mount = pod.mount_for(value)
        assert mount is not None, f"{name}: {flag}={value} is in no mounted volume"
        data = pod.source_data(pod.volume(mount["name"]))
        relative = value[len(mount["mountPath"]) :].lstrip("/")
        if relative and data is not None:
            assert relative in data, f"{name}: {flag}={value}: the volume has {sorted(data)}"
        if relative and "secret" in pod.volume(mount["name"]) and data is None:
            # A Secret the user makes: kubernetes.io/tls Secrets hold tls.crt, tls.key and ca.crt.
            assert relative in {"tls.crt", "tls.key", "ca.crt", "keys.yaml"}, f"{name}: {flag}={value}"


@pytest.mark.parametrize("name", ["manifests", "chart-defaults", "chart-sqlite"])
def test_init_container_is_aegis_db_upgrade_on_the_servers_database(pods: dict[str, Pod], name: str) -> None:
    pod = pods[name]
    server_env = _env(pod.container())
    init = pod.spec.get("initContainers", [])
    if name == "chart-sqlite":
        # SQLite: the server upgrades its own file at start (--db-upgrade auto); no init container.
        assert not init and server_env == {"DB_PATH": "/data/aegis.db"}
        return
    (upgrade,) = init
    assert upgrade["command"] == ["aegis", "db", "upgrade"] and "args" not in upgrade
    assert upgrade["image"] == pod.container()["image"]
    assert _env(upgrade) == server_env and set(server_env) == {"DATABASE_URL"}
    args, unknown = aegis_parser().parse_known_args(upgrade["command"][1:])
    assert unknown == [] and args.run is not None
    # The same variable is read by both commands (aegis db and aegis-server share the option).
    env = RecordingEnv(_env(upgrade))
    _database_options.add_database_options(argparse.ArgumentParser(), env)
    assert set(env) <= env.asked


def test_configmap_slo_files_validate_with_aegis_validate(pods: dict[str, Pod], tmp_path: Path) -> None:
    pod = pods["manifests"]
    pod.lay_out(tmp_path)
    slos = inside(tmp_path, "/etc/aegis/slos")
    assert len(list(slos.glob("*.yaml"))) == 2
    result = subprocess.run(
        [str(BIN / "aegis"), "validate", "--dir", str(slos),
         "--backends-file", str(inside(tmp_path, "/etc/aegis/backends/backends.yaml"))],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, "2 files, 2 SLOs valid, 0 problems\n", "")


def test_backends_and_api_keys_files_load_with_the_servers_loaders(
    pods: dict[str, Pod], tmp_path: Path
) -> None:
    pod = pods["manifests"]
    pod.lay_out(tmp_path)
    backends = load_backends_file(inside(tmp_path, "/etc/aegis/backends/backends.yaml"))
    assert [b.name for b in backends] == ["default", "mimir"]
    mimir = backends[1].prometheus
    assert mimir is not None and ("X-Scope-OrgID", "team-web") in mimir.headers
    assert mimir.bearer_token_file == str(inside(tmp_path, "/etc/aegis/credentials/mimir-token"))
    keys = load_keys(inside(tmp_path, "/etc/aegis/keys/keys.yaml"))
    assert [(k.name, sorted(k.scopes)) for k in keys] == [("ci-pipeline", ["gate", "read"])]


@pytest.mark.postgres
def test_the_pod_starts_from_its_own_command_line(
    pods: dict[str, Pod], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer
) -> None:
    """Init container, then server, as the kubelet runs them, on a real PostgreSQL of their own."""
    pod = pods["manifests"]
    pod.lay_out(tmp_path)
    # Nothing listens on port 1 of loopback: every backend is down, SLOs WARN, nothing leaves the machine.
    backends_file = inside(tmp_path, "/etc/aegis/backends/backends.yaml")
    text = backends_file.read_text()
    for url in ("http://prometheus.monitoring:9090", "http://mimir-query-frontend.mimir:8080"):
        assert url in text
        text = text.replace(url, "http://127.0.0.1:1")
    backends_file.write_text(text)
    monkeypatch.setenv("DATABASE_URL", postgres_server.url(create_database(postgres_server, "aegis_k8s_pod")))
    init = pod.container("db-upgrade")
    upgrade = subprocess.run(
        [str(BIN / init["command"][0]), *init["command"][1:]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    check = subprocess.run(
        [str(BIN / "aegis"), "db", "check"], capture_output=True, text=True, timeout=60, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr  # the schema the server will check at start
    args = relocated_args(tmp_path, pod.container()["args"])
    # Only the listen address and ports differ from the pod (the image's HOST/PORT/GRPC_PORT).
    with aegis_server([*args, "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0"]) as server:
        assert httpx.get(f"{server.rest_url}/healthz").status_code == 200
        ready = httpx.get(f"{server.rest_url}/readyz")
        assert ready.status_code == 200, ready.text
        assert httpx.get(f"{server.rest_url}/v1/slo").status_code == 401  # the keys file is in force
    assert '"level"' in server.output or '"levelname"' in server.output, "--log-format=json is in force"


def test_the_tls_pod_serves_its_secret_with_client_certificates(pods: dict[str, Pod], tmp_path: Path) -> None:
    """tls.enabled + tls.clientCA: the kubernetes.io/tls Secret's files are what the server loads, and the
    kubelet, which has no client certificate, could not pass an httpGet probe (hence the chart's rule)."""
    pod = pods["chart-tls"]
    pod.lay_out(tmp_path)
    authority = Authority(tmp_path / "ca", "aegis")
    server_cert, client = authority.server(), authority.client("ci")
    secret = inside(tmp_path, "/etc/aegis/tls")  # as `kubectl create secret tls` plus ca.crt would hold it
    (secret / "tls.crt").write_bytes(server_cert.cert_pem)
    (secret / "tls.key").write_bytes(server_cert.key_pem)
    (secret / "ca.crt").write_bytes(authority.cert_pem)
    probes = pod.container()
    assert "tcpSocket" in probes["livenessProbe"] and "tcpSocket" in probes["readinessProbe"]
    args = relocated_args(tmp_path, pod.container()["args"])
    extra = [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--grpc-port",
        "0",
        "--db-url",
        f"sqlite:///{tmp_path / 'a.db'}",
    ]
    with aegis_server([*args, *extra], wait_ready=False) as server:
        assert server.scheme == "https"
        with httpx.Client(verify=ssl_context(authority.cert, client)) as https:
            ready = _eventually_ready(https, f"{server.rest_url}/readyz")
            assert ready.status_code == 200, ready.text
        with (
            pytest.raises(httpx.TransportError),
            httpx.Client(verify=ssl.create_default_context(cafile=str(authority.cert))) as anonymous,
        ):
            anonymous.get(f"{server.rest_url}/healthz")


def ssl_context(ca: Path, client: Issued) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(str(client.cert), str(client.key))
    return context


def _eventually_ready(client: httpx.Client, url: str) -> httpx.Response:
    """/readyz once every SLO was evaluated (bounded: 500 tries, a few seconds apart at most)."""
    response = client.get(url)
    for _ in range(500):
        if response.status_code == 200:
            break
        time.sleep(0.02)
        response = client.get(url)
    return response
