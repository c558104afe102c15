"""The generated Go client against the live server: `go test` in clients/go, for real.

The Go test skips when AEGIS_GRPC_ADDR is unset, so exit code 0 alone proves
nothing: the verbose output must show every test passing.
"""

from __future__ import annotations

import os

import pytest

from tests.clients._process import run_tool
from tests.conftest import ROOT, LiveServer, require_binary

GO_CLIENT = ROOT / "clients" / "go"
GO_TESTS = ("TestDecide", "TestDecideRejects", "TestListSLOs", "TestListAuditRecords")


@pytest.mark.external
@pytest.mark.timeout(600)  # a cold Go build cache compiles grpc-go first
async def test_go_client_passes_against_live_server(live: LiveServer) -> None:
    go = require_binary("go", "/usr/local/go/bin/go")
    env = {
        **os.environ,
        "AEGIS_GRPC_ADDR": live.grpc_target,
        # The committed go.mod/go.sum must be complete as they are.
        "GOFLAGS": "-mod=readonly",
    }
    code, output = await run_tool(go, "test", "-count=1", "-v", "./...", cwd=GO_CLIENT, env=env)
    assert code == 0, output
    for name in GO_TESTS:
        assert f"--- PASS: {name} " in output, f"{name} did not pass:\n{output}"
    assert "--- SKIP" not in output, output
