"""The generated Go client against the live server: `go test` in clients/go, for real.

The Go test skips when AEGIS_GRPC_ADDR is unset, so exit code 0 alone proves
nothing: the verbose output must show every test passing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests._builds import go_build
from tests.clients._process import run_tool
from tests.conftest import ROOT, LiveServer, require_binary

GO_CLIENT = ROOT / "clients" / "go"
GO_TESTS = (
    "TestDecide",
    "TestDecideRejects",
    "TestListSLOs",
    "TestListAuditRecords",
    # clients/go/aegis: the idiomatic wrapper
    "TestWrapperDecide",
    "TestWrapperFreshDecideIsANewEvaluation",
    "TestWrapperDecideSendsDryRunAndTheDeploymentContext",
    "TestWrapperErrorsKeepTheirStatus",
    "TestWrapperGateOnAService",
    "TestWrapperUnreachableServerIsUnavailable",
    # clients/go/cmd/aegis-gate
    "TestExitCodes",
)


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


@pytest.mark.external
@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (["-slo", "api-availability"], 0, "ALLOW api-availability: all burn rate checks passed"),
        (["-slo", "checkout-fast-burn"], 1, "BLOCK checkout-fast-burn: rule fast-burn fired"),
        (["-slo", "billing-stale", "-fail-on", "warn"], 2, "WARN billing-stale: "),
        (["-slo", "no-such-slo"], 3, ""),
        (
            ["-slo", "checkout-fast-burn", "-dry-run", "-deployment-id", "go-cmd", "-caller", "aegis-gate"],
            0,
            "ALLOW (dry run; would be BLOCK) checkout-fast-burn: dry run (dryRun in the request)",
        ),
        (
            ["-service", "checkout", "-environment", "production", "-dry-run"],
            0,
            "ALLOW (dry run; would be BLOCK) checkout/production: checkout-fast-burn: ALLOW: dry run",
        ),
    ],
    ids=["allow", "block", "warn-fails", "unknown", "dry-run", "service-dry-run"],
)
async def test_go_aegis_gate_binary_exit_codes(
    live: LiveServer, aegis_gate_binary: Path, args: list[str], code: int, line: str
) -> None:
    """The built command as a pipeline runs it: its process exit status, not a Go function's result."""
    env = {**os.environ, "AEGIS_SERVER": live.grpc_target}
    got, output = await run_tool(str(aegis_gate_binary), *args, cwd=GO_CLIENT, env=env)
    assert got == code, output
    assert output.startswith(line) if line else "could not decide: " in output


@pytest.fixture(scope="module")
async def aegis_gate_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return await go_build(GO_CLIENT, "./cmd/aegis-gate", tmp_path_factory.mktemp("go") / "aegis-gate")
