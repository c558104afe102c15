"""Sloth's Go-template spelling of the query variables loads like ours."""

from __future__ import annotations

from pathlib import Path

from aegis.spec.loader import load_file
from tests.conftest import FIXTURES


def test_loader_accepts_sloth_style_template_variables(tmp_path: Path) -> None:
    text = (FIXTURES / "slo" / "valid" / "api-availability.yaml").read_text()
    path = tmp_path / "sloth.yaml"
    path.write_text(text.replace("{{window}}", "{{.window}}"))
    result = load_file(path)
    assert result.problems == ()
    assert "[{{.window}}]" in result.slos[0].sli.good_query


def test_loader_still_rejects_misspelt_sloth_variables(tmp_path: Path) -> None:
    text = (FIXTURES / "slo" / "valid" / "api-availability.yaml").read_text()
    path = tmp_path / "sloth.yaml"
    path.write_text(text.replace("{{window}}", "{{.windw}}"))
    problems = load_file(path).problems
    assert problems and "{{.windw}}" in problems[0].message
