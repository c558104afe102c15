"""`aegis-server` as an operator runs it: a real process, real ports, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from aegis.api.server import LISTENING_PATTERN
from tests.conftest import FIXTURES, ROOT

SERVER = [sys.executable, "-m", "aegis.cli.server"]


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        SERVER + args, capture_output=True, text=True, timeout=60, cwd=ROOT, env={**os.environ, **(env or {})}
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--port", "abc"], {}, "argument --port: invalid int value: 'abc'"),
        (["--port", "70000"], {}, "--port must be 0..65535"),
        ([], {"PORT": "eighty"}, "PORT must be an integer"),
        (["--slo-dir", "/nonexistent/slos"], {}, "/nonexistent/slos"),
        (["--adapter", "prometheus"], {"PROMETHEUS_URL": ""}, "--adapter prometheus needs --prometheus-url"),
        (["--adapter", "carrier-pigeon"], {}, "invalid choice: 'carrier-pigeon'"),
        (["--synthetic-fixtures", "/nonexistent/fx"], {}, "'/nonexistent/fx' does not exist"),
        (["--api-keys-file", "/nonexistent/keys.yaml"], {}, "/nonexistent/keys.yaml: cannot read"),
        ([], {"API_KEYS_FILE": "/nonexistent/env-keys.yaml"}, "/nonexistent/env-keys.yaml"),
        (["--tls-cert", "/nonexistent/cert.pem"], {}, "--tls-cert and --tls-key go together"),
        (["--tls-client-ca", "ca.pem"], {}, "--tls-client-ca needs --tls-cert and --tls-key"),
        (["--tls-cert", "/nonexistent/c.pem", "--tls-key", "/no/k.pem"], {}, "--tls-cert /nonexistent"),
        (["--shutdown-grace", "0"], {}, "--shutdown-grace must be positive"),
        (["--max-connections", "-3"], {}, "--max-connections must be at least 1"),
        (["--log-format", "xml"], {}, "invalid choice: 'xml'"),
        (["--slo-reload-interval", "-1"], {}, "--slo-reload-interval must be 0 (SIGHUP only) to 86400"),
        ([], {"BACKENDS_FILE": "/nonexistent/backends.yaml"}, "/nonexistent/backends.yaml: cannot read file"),
    ],
)
def test_server_bad_configuration_is_one_clear_line(
    args: list[str], env: dict[str, str], message: str
) -> None:
    result = _run(args, env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@contextmanager
def _server(db: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [*SERVER, "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--db", str(db),
         "--slo-dir", str(FIXTURES / "slo" / "valid"), "--synthetic-fixtures", str(FIXTURES / "metrics")],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    lines: list[str] = []
    # Drain stderr for the whole run: a full pipe would block the server's logging.
    drainer = threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    drainer.start()
    try:
        url = ""
        deadline = time.monotonic() + 30
        while not url and time.monotonic() < deadline and process.poll() is None:
            match = next(filter(None, map(LISTENING_PATTERN.search, list(lines))), None)
            if match:
                url = f"http://127.0.0.1:{match['http']}"
            time.sleep(0.02)
        assert url, f"the server never said where it listens: {lines}"
        for _ in range(300):
            if httpx.get(f"{url}/readyz").status_code == 200:
                break
            time.sleep(0.02)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        drainer.join(timeout=10)
        process.stderr.close()


def test_server_quick_start_then_sigterm_exits_cleanly(tmp_path: Path) -> None:
    with _server(tmp_path / "a.db") as (process, url):
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        decision = httpx.post(f"{url}/v1/gate/decision", json={"sloID": "api-availability"}).json()
        assert decision["decision"] == "ALLOW" and decision["ttl"] == 300
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_server_audit_survives_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    with _server(db) as (process, url):
        for _ in range(3):
            httpx.post(f"{url}/v1/gate/decision", json={"sloID": "checkout-fast-burn", "forceFresh": True})
        shown: list[str] = []
        for _ in range(200):
            records = httpx.get(f"{url}/v1/audit", params={"sloID": "checkout-fast-burn"}).json()["records"]
            shown = [r["evaluationID"] for r in records]
            if len(shown) >= 3:
                break
            time.sleep(0.02)
        assert len(shown) >= 3
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    with _server(db) as (_process, url):
        records = httpx.get(f"{url}/v1/audit", params={"sloID": "checkout-fast-burn", "limit": 1000}).json()
        survived = {r["evaluationID"] for r in records["records"]}
    assert set(shown) <= survived
