"""README's "Replay, error budgets, dry run, status page" examples, pasted against a live server.

Each command of the section's bash blocks runs as written (only the address of `make run` points at
the session's server, in a scratch directory so the picture it writes stays out of the tree), and
the output the README shows on the comment line right after it must be in what it printed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.clients._process import run_tool
from tests.conftest import ROOT, LiveServer, require_binary
from tests.test_readme_pipeline import env, pointed_at

README = ROOT / "README.md"
BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)
SECTION = "\n## Replay, error budgets, dry run, status page\n"


def examples() -> list[tuple[str, str | None]]:
    """(command, the output shown on the comment line after it, if any)."""
    text = README.read_text()
    start = text.index(SECTION)
    end = text.index("\n## ", start + 1)
    found: list[tuple[str, str | None]] = []
    for block in BLOCK.findall(text[start:end]):
        lines = block.splitlines()
        for index, line in enumerate(lines):
            if not line.strip() or line.startswith("#"):
                continue
            after = lines[index + 1] if index + 1 < len(lines) else ""
            found.append((line, after[2:] if after.startswith("# ") else None))
    return found


def test_readme_feature_section_has_an_example_of_each() -> None:
    commands = " ".join(command for command, _ in examples())
    for feature in (
        "aegis replay",
        "/v1/replay",
        "payments-budget-policy",
        '"dryRun": true',
        "localhost:8080/ ",
    ):
        assert feature in commands, feature


@pytest.mark.external
@pytest.mark.parametrize(("command", "shown"), examples())
async def test_readme_feature_example(
    live: LiveServer, tmp_path: Path, command: str, shown: str | None
) -> None:
    for tool in ("curl", "jq"):
        if re.search(rf"\b{tool}\b", command):
            require_binary(tool)
    status, out = await run_tool(
        "bash", "-o", "pipefail", "-c", pointed_at(live, command), cwd=tmp_path, env=env()
    )  # fmt: skip
    assert status == 0, out
    if shown is not None:
        assert shown in out, out
    if "--picture replay.svg" in command:
        assert (tmp_path / "replay.svg").read_text().startswith("<svg ")
