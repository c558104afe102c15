"""A real Alertmanager (Debian's prometheus-alertmanager) on a free port, for one test module."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests._requirements import free_port, require_binary

# Routes everything to a receiver that sends nothing: we only read the alerts back.
_CONFIG = """\
route:
  receiver: nowhere
receivers:
  - name: nowhere
"""


@contextlib.contextmanager
def running_alertmanager() -> Iterator[str]:
    """The base URL (http://127.0.0.1:PORT) of a fresh Alertmanager; stopped on exit."""
    binary = require_binary("prometheus-alertmanager", "alertmanager", "/usr/bin/prometheus-alertmanager")
    with tempfile.TemporaryDirectory(prefix="aegis-am-") as scratch:
        root = Path(scratch)
        (root / "alertmanager.yml").write_text(_CONFIG)
        for _ in range(3):  # a free port can be taken before we bind it
            port = free_port()
            with (root / "log").open("w") as log:
                process = subprocess.Popen(
                    [binary, f"--config.file={root / 'alertmanager.yml'}", f"--storage.path={root / 'data'}",
                     f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                    stdout=subprocess.DEVNULL, stderr=log,
                )  # fmt: skip
            url = f"http://127.0.0.1:{port}"
            if _ready(url, process):
                break
            process.kill()
            process.wait()
        else:
            raise RuntimeError(f"Alertmanager did not start:\n{(root / 'log').read_text()}")
        try:
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def _ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return True
        time.sleep(0.05)
    return False


async def alerts(client: httpx.AsyncClient, url: str, slo_id: str) -> list[dict[str, Any]]:
    """Active alerts Alertmanager holds for ``slo_id`` (resolved ones are not listed)."""
    response = await client.get(f"{url}/api/v2/alerts", params={"filter": f'slo="{slo_id}"'})
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found
