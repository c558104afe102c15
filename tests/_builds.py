"""Go programs the tests run, built from the committed go.mod/go.sum (never updating them)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.clients._process import run_tool
from tests.conftest import ROOT, require_binary

GO_CLIENT = ROOT / "clients" / "go"
ARGO_PROGRAM = ROOT / "tests" / "argo"


async def go_build(module: Path, package: str, output: Path) -> Path:
    """`go build -o output package` inside ``module``; make tools has warmed the module cache."""
    go = require_binary("go", "/usr/local/go/bin/go")
    env = {**os.environ, "GOFLAGS": "-mod=readonly"}
    code, log = await run_tool(go, "build", "-o", str(output), package, cwd=module, env=env)
    assert code == 0, f"go build {package} in {module} failed:\n{log}"
    return output
