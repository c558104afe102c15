"""README's "From a pipeline" examples, copied and pasted against a live server.

Every fenced block of that section in Python, Go, JavaScript and bash runs as written, with only
the addresses of `make run` (localhost:8080, localhost:50051) pointed at the session's server:
Python as a script, Go through a build overlay inside clients/go (nothing is written to the
tree), JavaScript as an ES module in clients/ts, bash lines through bash. ghz waits for the
follow-up in tests/clients/test_every_client.py.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from tests._requirements import missing
from tests.clients._process import run_tool
from tests.conftest import ROOT, LiveServer, require_binary

README = ROOT / "README.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def section_blocks(language: str) -> list[str]:
    text = README.read_text()
    start = text.index("\n## From a pipeline\n")
    end = text.index("\n## ", start + 1)
    return [body for lang, body in BLOCK.findall(text[start:end]) if lang == language]


def pointed_at(live: LiveServer, code: str) -> str:
    return code.replace("localhost:8080", live.rest_url.removeprefix("http://")).replace(
        "localhost:50051", live.grpc_target
    )


def env() -> dict[str, str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("AEGIS_", "GITHUB_"))}
    tools = f"{Path(sys.executable).parent}:{ROOT / '.cache' / 'bin'}"
    return {**base, "PATH": f"{tools}:{base.get('PATH', '')}"}


async def test_readme_python_example(live: LiveServer) -> None:
    (code,) = section_blocks("python")
    status, out = await run_tool(sys.executable, "-c", pointed_at(live, code), cwd=ROOT, env=env())
    assert status == 0, out
    assert out.startswith("ALLOW ('all burn rate checks passed',)"), out


@pytest.mark.external
@pytest.mark.timeout(600)
async def test_readme_go_example(live: LiveServer, tmp_path: Path) -> None:
    go = require_binary("go", "/usr/local/go/bin/go")
    (code,) = section_blocks("go")
    program = tmp_path / "main.go"
    program.write_text(pointed_at(live, code))
    overlay = tmp_path / "overlay.json"
    target = ROOT / "clients" / "go" / "readme_example" / "main.go"
    overlay.write_text(json.dumps({"Replace": {str(target): str(program)}}))
    status, out = await run_tool(
        go, "run", "-overlay", str(overlay), "./readme_example",
        cwd=ROOT / "clients" / "go", env={**env(), "GOFLAGS": "-mod=readonly"},
    )  # fmt: skip
    assert status == 0, out
    assert out.startswith("ALLOW [all burn rate checks passed]"), out


@pytest.mark.external
async def test_readme_node_example(live: LiveServer) -> None:
    node = require_binary("node")
    if not (ROOT / "clients" / "ts" / "node_modules" / "@connectrpc" / "connect-node").is_dir():
        missing("clients/ts/node_modules is missing (make test runs npm ci there)")
    (code,) = section_blocks("js")
    status, out = await run_tool(
        node, "--input-type=module", "-e", pointed_at(live, code), cwd=ROOT / "clients" / "ts", env=env()
    )
    assert status == 0, out
    assert out.startswith("ALLOW [ 'all burn rate checks passed' ]"), out


def bash_commands() -> list[str]:
    """Each command of the section's bash blocks (continuation lines joined), ghz excepted."""
    commands: list[str] = []
    for block in section_blocks("bash"):
        for command in block.replace("\\\n", " ").splitlines():
            if command.strip() and not command.startswith(("ghz", "cd ", "#")):
                commands.append(command.split("  #", 1)[0].strip())
    return commands


@pytest.mark.external
@pytest.mark.parametrize("command", bash_commands())
async def test_readme_shell_example(live: LiveServer, command: str) -> None:
    for tool in ("curl", "jq", "grpcurl"):
        if re.search(rf"\b{tool}\b", command):
            require_binary(tool, str(ROOT / ".cache" / "bin" / tool))
    status, out = await run_tool(
        "bash", "-o", "pipefail", "-c", pointed_at(live, command), cwd=ROOT, env=env()
    )  # fmt: skip
    # The examples about checkout are BLOCK (aegis gate exits 1 on it); the others ALLOW.
    blocked = "checkout" in command
    assert status == (1 if blocked and command.startswith("aegis gate") else 0), out
    assert ("BLOCK" if blocked else "ALLOW") in out, out
