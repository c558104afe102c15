"""``aegis validate``: output, summary and exit codes, in-process and as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from aegis.cli.main import main
from aegis.cli.validate import summary
from tests.spec.samples import valid_document

REPO = Path(__file__).resolve().parents[2]
VALID_DIR = REPO / "fixtures" / "slo" / "valid"
INVALID_DIR = REPO / "fixtures" / "slo" / "invalid"


def _document(slo_id: str) -> dict[str, Any]:
    return valid_document(slo_id)


def test_validate_valid_fixtures_exits_zero_with_summary_only(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--dir", str(VALID_DIR)])

    out, err = capsys.readouterr()
    assert code == 0
    assert out == "11 files, 11 SLOs valid, 0 problems\n"
    assert err == ""


def test_validate_mixed_dir_prints_each_problem_then_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_document("good")))
    bad = _document("bad")
    bad["kind"] = "Slo"
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(bad))
    (tmp_path / "c.yml").write_text("kind: [SLO\n")

    code = main(["validate", "--dir", str(tmp_path)])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[0].startswith(f"{tmp_path / 'b.yaml'}: kind: expected 'SLO', found 'Slo'")
    assert lines[1].startswith(f"{tmp_path / 'c.yml'}: invalid YAML at line 2")
    assert lines[2] == "3 files, 1 SLO valid, 2 problems"
    assert len(lines) == 3


def test_validate_invalid_fixtures_reports_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--dir", str(INVALID_DIR)])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    files = len(list(INVALID_DIR.iterdir()))
    assert lines[-1] == f"{files} files, 1 SLO valid, {len(lines) - 1} problems"
    assert all(line.startswith(str(INVALID_DIR)) for line in lines[:-1])


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["validate", "--dir", "/nonexistent/slos"], "SLO directory not found: /nonexistent/slos"),
        (["validate"], "the following arguments are required: --dir"),
        (["validate", "--dir", "x", "--bogus"], "unrecognized arguments: --bogus"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "a command is required"),
    ],
)
def test_validate_usage_errors_exit_two(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(argv)

    out, err = capsys.readouterr()
    assert code == 2
    assert fragment in err
    assert out == ""


def test_validate_dir_that_is_a_file_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "slo.yaml"
    target.write_text("")

    assert main(["validate", "--dir", str(target)]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_validate_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--help"]) == 0
    assert "--dir DIR" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("counts", "text"),
    [((1, 1, 0), "1 file, 1 SLO valid, 0 problems"), ((3, 0, 1), "3 files, 0 SLOs valid, 1 problem")],
)
def test_summary_pluralizes(counts: tuple[int, int, int], text: str) -> None:
    assert summary(*counts) == text


@pytest.mark.parametrize(
    ("directory", "code", "last_line"),
    [
        (VALID_DIR, 0, "11 files, 11 SLOs valid, 0 problems"),
        (INVALID_DIR, 1, None),
    ],
)
def test_validate_as_subprocess_exit_code_and_no_traceback(
    directory: Path, code: int, last_line: str | None
) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "aegis.cli.main", "validate", "--dir", str(directory)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == code, completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    if last_line is not None:
        assert lines == [last_line]
    else:
        assert lines[-1].endswith("problems") and len(lines) > 1


def test_validate_with_backends_file_checks_each_slos_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slos = tmp_path / "slos"
    slos.mkdir()
    for slo_id, backend in (("plain", None), ("on-vm", "victoria"), ("typo", "victora")):
        document = _document(slo_id)
        if backend:
            document["spec"]["sli"]["backend"] = backend
        (slos / f"{slo_id}.yaml").write_text(yaml.safe_dump(document))
    backends = tmp_path / "backends.yaml"
    backends.write_text("backends:\n  - {name: victoria, url: http://victoria-metrics:8428}\n")

    assert main(["validate", "--dir", str(slos)]) == 0  # without the file, any name passes
    capsys.readouterr()
    code = main(["validate", "--dir", str(slos), "--backends-file", str(backends)])

    out, _ = capsys.readouterr()
    assert code == 1
    problem, total = out.splitlines()
    assert problem.startswith(
        f"{slos / 'typo.yaml'}: spec.sli.backend: expected a configured metric backend ('default', "
        "'victoria'), found 'victora' (a string); did you mean 'victoria'? (line "
    )
    assert total == "3 files, 2 SLOs valid, 1 problem"
    backends.write_text("backends: [")
    assert main(["validate", "--dir", str(slos), "--backends-file", str(backends)]) == 2
    assert "backends.yaml: invalid YAML" in capsys.readouterr().err
