"""README's "OpenSLO and Sloth, in and out" examples, run as written from the repository root.

Each command runs in a scratch directory that sees the repository's fixtures (so the rule file it
writes stays out of the tree); the output the README shows on the next comment line must be in
what it printed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.clients._process import run_tool
from tests.conftest import ROOT, require_binary
from tests.test_readme_pipeline import env

README = ROOT / "README.md"
BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)
SECTION = "\n## OpenSLO and Sloth, in and out\n"


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


def test_readme_formats_section_shows_each_command() -> None:
    commands = " ".join(command for command, _ in examples())
    for feature in ("aegis validate", "aegis convert", "aegis rules", "promtool check rules"):
        assert feature in commands, feature


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("readme-formats")
    (where / "fixtures").symlink_to(ROOT / "fixtures")
    return where


@pytest.mark.prometheus
@pytest.mark.parametrize(("command", "shown"), examples())
async def test_readme_formats_example(scratch: Path, command: str, shown: str | None) -> None:
    if "promtool" in command:
        require_binary("promtool")
    status, out = await run_tool("bash", "-o", "pipefail", "-c", command, cwd=scratch, env=env())
    assert status == 0, out
    if shown is not None:
        assert shown in out, out
