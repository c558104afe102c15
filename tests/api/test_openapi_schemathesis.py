"""Schemathesis against the live REST surface, from the OpenAPI document the server serves.

Its checks: no 5xx for any input, every status and body as the document says, requests the
document calls invalid refused (tests/api/schemathesis.toml lists the exceptions and why).
The run is bounded and deterministic: the same few hundred requests every time.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.clients._process import run_tool
from tests.conftest import ROOT, LiveServer, require_binary

CONFIG = ROOT / "tests" / "api" / "schemathesis.toml"
OPERATIONS = (
    8  # Decide, GetServiceState, ListSLOs, GetSLO, ListAuditRecords, VerifyAuditChain, Flagger, Replay
)


@pytest.mark.external
async def test_schemathesis_finds_nothing_on_the_live_surface(live: LiveServer, tmp_path: Path) -> None:
    st = require_binary("st", str(Path(sys.executable).parent / "st"))  # pip installs it beside python
    code, output = await run_tool(
        st,
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        f"{live.rest_url}/openapi.json",
        "--url",
        live.rest_url,
        cwd=tmp_path,  # any report or cache stays out of the tree
        env=dict(os.environ),
    )
    assert code == 0, output
    assert f"Operations:       {OPERATIONS} selected / {OPERATIONS} total" in output, output
    tested = re.search(r"(\d+) generated, (\d+) passed", output)
    assert tested, output
    generated, passed = map(int, tested.groups())
    # Bounded, but not empty: a run that generated next to nothing proves nothing.
    assert 200 <= generated == passed, output
    assert "No issues found" in output, output
