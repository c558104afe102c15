"""Bad files never stop the good ones, and cost little (issue 6, item 8).

Each finding from trying AegisSLO as a hostile user would is planted beside
good SLO files: the good ones load, the planted file is exactly one problem
that names it, no problem quotes file content beyond a short snippet, and no
file is read that is not a regular file inside the SLO directory. The same
directory goes through ``load_directory``, ``aegis validate`` and the server.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from aegis.cli.main import main
from aegis.spec.loader import load_directory
from tests.conftest import default_settings, start_live, stop_live
from tests.spec.samples import VALID_DIR, valid_document

GOOD_FILES = ("api-availability.yaml", "checkout-availability.yaml")
GOOD_IDS = ["api-availability", "checkout-availability"]
PASSWD_LINE = "root:x:0:0"


def _document_text(**changes: object) -> str:
    """A valid SLO document as YAML text, with top-level spec fields replaced."""
    document = valid_document("planted")
    document["spec"].update(changes)
    return yaml.safe_dump(document, sort_keys=False)


def _alias_bomb() -> str:
    """The 899-byte finding: 9 levels of 9 aliases, used as metadata.name."""
    anchors = ['a0: &a0 "lol"']
    anchors += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    document = valid_document("planted")
    text = yaml.safe_dump(document, sort_keys=False).replace(
        "  id: planted\n", "  id: planted\n  name: *a9\n"
    )
    return "\n".join(anchors) + "\n" + text


def _alias_chain() -> str:
    """A 10,000-link alias chain."""
    return "a0: &a0 x\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 10_000))


def _write(text: str) -> Callable[[Path], None]:
    def plant(path: Path) -> None:
        path.write_text(text)

    return plant


def _link(target: str) -> Callable[[Path], None]:
    def plant(path: Path) -> None:
        path.symlink_to(target)

    return plant


def _sparse(size: int) -> Callable[[Path], None]:
    def plant(path: Path) -> None:
        with path.open("wb") as file:
            file.truncate(size)

    return plant


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _fifo_behind_a_link(path: Path) -> None:
    os.mkfifo(path.parent / ".pipe")
    path.symlink_to(".pipe")


# file name -> (how to plant it, what its one problem says)
HOSTILE: dict[str, tuple[Callable[[Path], None], str]] = {
    "alias-bomb.yaml": (
        _write(_alias_bomb()),
        "more than 10000 values in one file once aliases are expanded",
    ),
    "alias-chain.yaml": (_write(_alias_chain()), "nested more than 32 levels deep"),
    "long-threshold.yaml": (
        _write(_document_text().replace("threshold: 14.4", "threshold: 1" + "4" * 5000)),
        "a number written with 5001 characters",
    ),
    "dev-zero.yaml": (_link("/dev/zero"), "refused: a symbolic link to a file outside"),
    "passwd.yaml": (_link("/etc/passwd"), "refused: a symbolic link to a file outside"),
    "fifo.yaml": (_fifo, "refused: a FIFO (named pipe), not a regular file"),
    "fifo-link.yaml": (_fifo_behind_a_link, "refused: a FIFO (named pipe), not a regular file"),
    "huge.yaml": (_sparse(25 * 1024 * 1024), "more than the 1 MiB limit"),
    "just-over.yaml": (_sparse(1024 * 1024 + 1), "1048577 bytes, more than the 1 MiB limit"),
    "interval-weeks.yaml": (
        _write(_document_text(evaluationInterval="3551w")),
        "spec.evaluationInterval: expected a duration from 1s to 24h, found 3551w",
    ),
    "window-digits.yaml": (
        _write(_document_text(complianceWindow="9" * 5000 + "d")),
        "expected a duration like 30s, 5m, 1h or 30d, found '99999",
    ),
}


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """Good files and every hostile one, side by side."""
    slo_dir = tmp_path / "slos"
    slo_dir.mkdir()
    for name in GOOD_FILES:
        shutil.copy(VALID_DIR / name, slo_dir)
    for name, (plant, _) in HOSTILE.items():
        plant(slo_dir / name)
    return slo_dir


def _check_one_problem_each(lines: list[str], slo_dir: Path) -> None:
    for name, (_, fragment) in HOSTILE.items():
        mine = [line for line in lines if line.startswith(f"{slo_dir / name}: ")]
        assert len(mine) == 1, (name, mine)
        assert fragment in mine[0], mine[0]
        assert len(mine[0]) < 400 + len(str(slo_dir)), "a problem quotes a short snippet at most"
    assert not any(PASSWD_LINE in line for line in lines)


@pytest.mark.timeout(60)
def test_load_directory_hostile_files_are_one_problem_each_beside_good_ones(planted: Path) -> None:
    result = load_directory(planted)

    assert [slo.id for slo in result.slos] == GOOD_IDS
    assert len(result.problems) == len(HOSTILE)
    _check_one_problem_each([str(p) for p in result.problems], planted)


@pytest.mark.timeout(60)
def test_validate_hostile_files_are_one_problem_each(
    planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", "--dir", str(planted)])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    files = len(GOOD_FILES) + len(HOSTILE)
    assert lines[-1] == f"{files} files, {len(GOOD_IDS)} SLOs valid, {len(HOSTILE)} problems"
    _check_one_problem_each(lines[:-1], planted)


@pytest.mark.timeout(60)
async def test_server_hostile_files_are_one_problem_each_and_serves_the_good(
    planted: Path, tmp_path: Path
) -> None:
    live = await start_live(default_settings(tmp_path, slo_dir=str(planted)))
    try:
        ready = await live.rest.get("/readyz")
        slos = (await live.rest.get("/v1/slo")).json()["slos"]
        decision = await live.rest.post("/v1/gate/decision", json={"sloID": "api-availability"})
        audit = await live.rest.get("/v1/audit")
    finally:
        await stop_live(live)
    assert ready.status_code == 200
    assert PASSWD_LINE not in ready.text
    prefix = "SLO file problem: "
    problems = [r.removeprefix(prefix) for r in ready.json()["reasons"] if r.startswith(prefix)]
    _check_one_problem_each(problems, planted)
    assert [slo["id"] for slo in slos] == GOOD_IDS
    assert decision.json()["decision"] == "ALLOW"
    assert audit.status_code == 200


@pytest.mark.timeout(60)
async def test_server_longest_durations_fit_the_api_and_the_audit(tmp_path: Path) -> None:
    """The bounds themselves are safe: 24h interval, 7d staleness, 365d window answer 200 everywhere."""
    slo_dir = tmp_path / "slos"
    slo_dir.mkdir()
    document = valid_document("longest")
    document["spec"].update(complianceWindow="365d", evaluationInterval="24h")
    document["spec"]["gating"]["stalenessLimit"] = "7d"
    document["spec"]["burnPolicy"]["rules"][1]["longWindow"] = "365d"
    (slo_dir / "longest.yaml").write_text(yaml.safe_dump(document))
    live = await start_live(default_settings(tmp_path, slo_dir=str(slo_dir)))
    try:
        decision = await live.rest.post("/v1/gate/decision", json={"sloID": "longest"})
        await live.app.audit.flush()
        audit = await live.rest.get("/v1/audit")
        slo = await live.rest.get("/v1/slo/longest")
    finally:
        await stop_live(live)
    assert decision.status_code == 200, decision.text
    assert decision.json()["ttl"] == 86400
    assert audit.status_code == 200, audit.text
    assert audit.json()["records"][0]["ttl"] == 86400
    assert slo.status_code == 200
    assert (slo.json()["window"], slo.json()["evaluationInterval"]) == ("365d", "1d")
