"""A real ``aegis-server`` subprocess: its ports read from its log, its stderr kept line by line.

For what only a real process shows: signals, exit codes, resource limits, the log as an operator
sees it. The stderr is drained by a thread for the whole run (a full pipe would block logging).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from aegis.api.server import LISTENING_PATTERN
from tests.conftest import FIXTURES, ROOT

SERVER = [sys.executable, "-m", "aegis.cli.server"]


@dataclass
class AegisProcess:
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    grpc_port: int = 0
    http_port: int = 0
    scheme: str = "http"

    @property
    def rest_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in list(self.lines) if needle in line), None)
            if found is not None:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no log line with {needle!r} in {timeout}s: {self.output[-3000:]}")


def base_args(db: Path, *extra: str) -> list[str]:
    return [
        "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--db", str(db),
        "--slo-dir", str(FIXTURES / "slo" / "valid"), "--synthetic-fixtures", str(FIXTURES / "metrics"),
        *extra,
    ]  # fmt: skip


@contextlib.contextmanager
def aegis_server(
    args: list[str],
    *,
    wait_ready: bool = True,
    preexec_fn: Callable[[], None] | None = None,
    verify: object = True,
) -> Iterator[AegisProcess]:
    process = subprocess.Popen(
        [*SERVER, *args],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=preexec_fn,
    )
    assert process.stderr is not None
    server = AegisProcess(process)
    stream = process.stderr
    drainer = threading.Thread(target=lambda: server.lines.extend(iter(stream.readline, "")), daemon=True)
    drainer.start()
    try:
        deadline = time.monotonic() + 30
        match = None
        while match is None and time.monotonic() < deadline and process.poll() is None:
            match = next(filter(None, map(LISTENING_PATTERN.search, list(server.lines))), None)
            time.sleep(0.02)
        assert match is not None, f"the server never said where it listens: {server.output[-3000:]}"
        server.grpc_port, server.http_port = int(match["grpc"]), int(match["http"])
        server.scheme = match["scheme"]
        if wait_ready:
            for _ in range(500):
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{server.rest_url}/readyz", verify=verify).status_code == 200:  # type: ignore[arg-type]
                        break
                time.sleep(0.02)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        drainer.join(timeout=10)
        stream.close()
