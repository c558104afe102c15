"""The committed stubs are exactly what `make generate` produces from proto/ today."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_generated_python_stubs_are_current(tmp_path: Path) -> None:
    subprocess.run(
        [str(ROOT / "scripts" / "gen_python.sh"), str(tmp_path)],
        check=True,
        env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
    )
    fresh = tmp_path / "aegis" / "v1"
    committed = ROOT / "aegis" / "v1"
    names = sorted(p.name for p in fresh.iterdir() if p.is_file())
    assert names == sorted(p.name for p in committed.iterdir() if p.is_file() and p.suffix in {".py", ".pyi"})
    _match, mismatch, errors = filecmp.cmpfiles(fresh, committed, names, shallow=False)
    assert not mismatch and not errors, f"stale generated stubs {mismatch + errors}: run `make generate`"
