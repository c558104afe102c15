"""`buf breaking` guards the contract against the last released one (proto/released).

`make lint` runs it on the tree; these tests show the guard passes what may change (new
fields) and stops what may not, and that the committed image is that release's contract.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from tests.conftest import ROOT, require_binary

RELEASED = ROOT / "proto" / "released"
IMAGE = RELEASED / "aegis-v1.binpb"
GATE = Path("proto") / "aegis" / "v1" / "gate.proto"
# Lines of the released contract, which later contracts keep as they are.
SLO_ID = 'string slo_id = 1 [json_name = "sloID"];'
FORCE_FRESH = "bool force_fresh = 2;"


def _buf() -> str:
    return require_binary("buf", str(ROOT / "tools" / "node_modules" / ".bin" / "buf"))


def _workspace(tmp_path: Path, old: str = "", new: str = "") -> Path:
    """A copy of the buf workspace, with `old` replaced by `new` once in gate.proto."""
    for name in ("buf.yaml", "proto", "third_party"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy(source, tmp_path / name)
    if old:
        gate = tmp_path / GATE
        text = gate.read_text()
        assert text.count(old) == 1, f"{old!r} is not once in {GATE}"
        gate.write_text(text.replace(old, new))
    return tmp_path


def _breaking(workspace: Path) -> tuple[int, list[dict[str, object]]]:
    result = subprocess.run(
        [_buf(), "breaking", "--against", str(IMAGE), "--error-format", "json"],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    findings = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert result.returncode == 0 or findings, result.stderr
    return result.returncode, findings


def test_released_image_holds_the_v1_contract() -> None:
    image = descriptor_pb2.FileDescriptorSet.FromString(IMAGE.read_bytes())
    files = {file.name: file for file in image.file}
    assert {"aegis/v1/gate.proto", "aegis/v1/slo.proto", "aegis/v1/audit.proto"} <= set(files)
    request = next(m for m in files["aegis/v1/gate.proto"].message_type if m.name == "DecideRequest")
    assert [(f.name, f.number, f.json_name) for f in request.field][:1] == [("slo_id", 1, "sloID")]


@pytest.mark.external
def test_released_image_is_the_recorded_revision(tmp_path: Path) -> None:
    revision = (RELEASED / "aegis-v1.revision").read_text().strip()
    known = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{revision}^{{commit}}"], capture_output=True, check=False
    )
    if known.returncode != 0:
        pytest.skip(f"release {revision} is not in this clone's history (a shallow clone?)")
    subprocess.run(
        [str(ROOT / "scripts" / "release_contract.sh"), revision],
        env={**os.environ, "OUT": str(tmp_path), "BUF": _buf()},
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert (tmp_path / "aegis-v1.binpb").read_bytes() == IMAGE.read_bytes()


@pytest.mark.external
def test_buf_breaking_passes_the_current_contract(tmp_path: Path) -> None:
    assert _breaking(_workspace(tmp_path)) == (0, [])


@pytest.mark.external
def test_buf_breaking_passes_a_new_field(tmp_path: Path) -> None:
    added = f"{FORCE_FRESH}\n  // Added after the release.\n  string note = 99;"
    assert _breaking(_workspace(tmp_path, FORCE_FRESH, added)) == (0, [])


@pytest.mark.external
@pytest.mark.parametrize(
    ("new", "rule"),
    [
        ('string slo_id = 1 [json_name = "sloId"];', "FIELD_SAME_JSON_NAME"),
        ('string slo_id = 7 [json_name = "sloID"];', "FIELD_NO_DELETE"),
        ('string slo_name = 1 [json_name = "sloID"];', "FIELD_SAME_NAME"),
        ('int64 slo_id = 1 [json_name = "sloID"];', "FIELD_SAME_TYPE"),
        ("reserved 1;", "FIELD_NO_DELETE"),
    ],
)
def test_buf_breaking_stops_a_changed_field(tmp_path: Path, new: str, rule: str) -> None:
    code, findings = _breaking(_workspace(tmp_path, SLO_ID, new))
    assert code != 0
    assert rule in {finding["type"] for finding in findings}, findings
