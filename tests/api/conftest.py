"""A live server on the SLO set v0.1.0's example scripts expect (`test-slo` in test-service/production).

Beside `test-slo` (healthy) it serves, in the same service and environment, `test-burn` (a
fast burn: BLOCK) and `test-quiet` (no traffic in any window: WARN, and no SLI to measure),
so that every part of `examples/v0.1.0/api-usage.sh` has something to print; and the README's
`api-availability` burning fast, so the README's and the GitHub Actions gate's BLOCK paths run.
The SLO files are written in the documented layout through tests/_slo_files.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests._slo_files import documented_slo, write_slo
from tests.conftest import LiveServer, default_settings, start_live, stop_live

COMPAT_SERVICE = "test-service"
COMPAT_ENVIRONMENT = "production"
# Synthetic fixture windows, (good, total) each; the SLOs' one rule is 5m/1h at 14.4 over 30d.
HEALTHY = {"5m": (99_950, 100_000), "1h": (99_950, 100_000), "30d": (99_950, 100_000)}
BURNING = {"5m": (90_000, 100_000), "1h": (90_000, 100_000), "30d": (99_000, 100_000)}
SILENT = {"5m": (0, 0), "1h": (0, 0), "30d": (0, 0)}
# SLO id -> (service, environment, fixture windows)
COMPAT_SLOS: dict[str, tuple[str, str, dict[str, tuple[int, int]]]] = {
    "test-slo": (COMPAT_SERVICE, COMPAT_ENVIRONMENT, HEALTHY),
    "test-burn": (COMPAT_SERVICE, COMPAT_ENVIRONMENT, BURNING),
    "test-quiet": (COMPAT_SERVICE, COMPAT_ENVIRONMENT, SILENT),
    "api-availability": ("api-gateway", "production", BURNING),
}
COMPAT_DECISIONS = {
    "test-slo": "ALLOW",
    "test-burn": "BLOCK",
    "test-quiet": "WARN",
    "api-availability": "BLOCK",
}


def write_compat_files(root: Path) -> tuple[Path, Path]:
    """The SLO directory and the synthetic fixture directory (one fixture per SLO id)."""
    slo_dir, metrics_dir = root / "slo", root / "metrics"
    metrics_dir.mkdir(parents=True)
    for slo_id, (service, environment, windows) in COMPAT_SLOS.items():
        write_slo(slo_dir, documented_slo(slo_id, service=service, environment=environment))
        fixture = {"windows": {w: {"good": good, "total": total} for w, (good, total) in windows.items()}}
        (metrics_dir / f"{slo_id}.json").write_text(json.dumps(fixture))
    return slo_dir, metrics_dir


@pytest.fixture(scope="session")
async def compat_live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    root = tmp_path_factory.mktemp("compat")
    slo_dir, metrics_dir = write_compat_files(root)
    settings = default_settings(root, slo_dir=str(slo_dir), synthetic_fixtures=str(metrics_dir))
    server = await start_live(settings)
    # Every first evaluation is in the audit log before any test reads it.
    await server.app.audit.flush()
    yield server
    await stop_live(server)
