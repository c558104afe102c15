"""The generated TypeScript client against the live server: `node --test` in clients/ts.

`make test` runs `npm ci` in clients/ts; these tests never install anything. The
Node test skips without AEGIS_GRPC_ADDR, so the TAP summary must show passes.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests._requirements import missing
from tests.clients._process import run_tool
from tests.conftest import ROOT, LiveServer, require_binary

TS_CLIENT = ROOT / "clients" / "ts"


def _require_node_modules() -> None:
    if (TS_CLIENT / "node_modules" / "@connectrpc" / "connect-node").is_dir():
        return
    missing("clients/ts/node_modules is missing (make test runs npm ci there)")


def _tap_count(output: str, name: str) -> int:
    """A count from node's TAP summary, e.g. `# pass 7`."""
    found = re.search(rf"^# {name} (\d+)$", output, re.MULTILINE)
    assert found, f"no '# {name}' line in the TAP summary:\n{output}"
    return int(found.group(1))


@pytest.mark.external
async def test_ts_client_passes_against_live_server(live: LiveServer) -> None:
    node = require_binary("node")
    _require_node_modules()
    env = {**os.environ, "AEGIS_GRPC_ADDR": live.grpc_target}
    code, output = await run_tool(node, "--test", "--test-reporter=tap", cwd=TS_CLIENT, env=env)
    assert code == 0, output
    passed = _tap_count(output, "pass")
    assert passed > 0, output
    assert passed == _tap_count(output, "tests"), output
    assert _tap_count(output, "fail") == 0, output
    assert _tap_count(output, "skipped") == 0, output


@pytest.mark.external
def test_ts_client_typechecks_against_generated_typings() -> None:
    node = require_binary("node")
    _require_node_modules()
    result = subprocess.run(
        [node, "node_modules/typescript/bin/tsc", "-p", "."],
        cwd=TS_CLIENT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
