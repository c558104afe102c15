"""``aegis convert``: OpenSLO and Sloth files out as ours, which load back as the very same SLOs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aegis.cli.main import main
from aegis.spec.loader import load_directory
from aegis.spec.model import SLO
from tests.conftest import FIXTURES

OPENSLO = FIXTURES / "slo" / "openslo"
SLOTH = FIXTURES / "slo" / "sloth"


def _comparable(slo: SLO) -> SLO:
    return dataclasses.replace(slo, api_version="", source_file="")


def test_convert_writes_one_file_per_slo_that_loads_as_the_same_slo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["convert", str(OPENSLO), str(SLOTH), "--output", str(tmp_path / "out")])

    assert code == 0
    assert capsys.readouterr().err == "aegis convert: 8 SLO(s) written\n"
    originals = {slo.id: slo for slo in (*load_directory(OPENSLO).slos, *load_directory(SLOTH).slos)}
    converted = load_directory(tmp_path / "out")
    assert converted.problems == ()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f"{i}.yaml" for i in originals)
    for slo in converted.slos:
        assert slo.api_version == "aegis.slo/v1"
        assert _comparable(slo) == _comparable(originals[slo.id])


def test_convert_to_standard_output_is_one_yaml_stream_saying_where_each_slo_came_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["convert", str(SLOTH / "kubernetes-apiserver.yml")])

    out = capsys.readouterr().out
    assert code == 0
    documents = list(yaml.safe_load_all(out))
    assert [d["metadata"]["id"] for d in documents] == [
        "k8s-apiserver-requests-availability",
        "k8s-apiserver-requests-latency",
    ]
    assert (
        f"# Converted by aegis convert from {SLOTH / 'kubernetes-apiserver.yml'} (Sloth prometheus/v1)."
        in out
    )
    # The latency SLI's multi-line error query stays a readable block.
    assert "prometheusQuery: |" in out


def test_convert_writes_nothing_when_a_file_has_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = FIXTURES / "slo" / "formats-invalid" / "sloth-no-alerts.yml"

    code = main(["convert", str(SLOTH), str(bad), "--output", str(tmp_path / "out")])

    err = capsys.readouterr().err
    assert code == 1
    assert f"{bad}: slos[0].alerting: expected page_alert or ticket_alert enabled" in err
    assert "nothing written: 1 problem(s) to fix first" in err
    assert not (tmp_path / "out").exists()


def test_convert_a_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such file or directory" in capsys.readouterr().err


def test_convert_as_a_real_process_round_trips_through_validate(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ran = subprocess.run(
        [sys.executable, "-m", "aegis.cli.main", "convert", str(OPENSLO / "foo-slo.yaml"), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "aegis.cli.main", "validate", "--dir", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (checked.returncode, checked.stdout) == (0, "1 file, 1 SLO valid, 0 problems\n")
