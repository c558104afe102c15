"""The format registry: a format claims documents and builds the one model; checks run once on the model.

A toy format with a layout of its own shows the seam: registering it is one
entry in the tuple, its documents load beside ours, and a problem found on the
model (a short window longer than the long one) points at the toy's own field
and line through its FieldMap.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from aegis.spec.durations import Window
from aegis.spec.formats import FORMATS, Built, FieldMap, Format, format_for, unclaimed_issues
from aegis.spec.formats.aegis_v1 import AEGIS_V1
from aegis.spec.loader import load_directory
from aegis.spec.model import SLO, BurnRateRule, SLISpec, SLIType
from aegis.spec.problems import FieldIssue
from tests.spec.samples import valid_document

TOY_FIELDS = FieldMap(
    {
        ("id",): ("name",),
        ("window",): ("period",),
        ("burn_rate_rules", "*", "short_window"): ("alerts", "*", "fast"),
        ("burn_rate_rules", "*", "long_window"): ("alerts", "*", "slow"),
    }
)


class ToyFormat:
    """``apiVersion: toy/v1``: a flat document with a list of alerts."""

    name = "Toy"
    api_versions = ("toy/v1",)

    def claims(self, document: Mapping[str, Any]) -> bool:
        return document.get("apiVersion") == "toy/v1"

    def structure_issues(self, document: Mapping[str, Any]) -> list[FieldIssue]:
        return [] if "name" in document else [FieldIssue(("name",), "required field is missing")]

    def build(self, document: Mapping[str, Any], source_file: str) -> list[Built]:
        rules = tuple(
            BurnRateRule(f"alert-{i}", Window.parse(a["fast"]), Window.parse(a["slow"]), 10.0)
            for i, a in enumerate(document["alerts"])
        )
        slo = SLO(
            id=document["name"],
            service="toy",
            environment="toy",
            objective=0.99,
            window=Window.parse(document["period"]),
            sli=SLISpec(SLIType.RATIO, "good", "total"),
            burn_rate_rules=rules,
            evaluation_interval=Window(60),
            staleness_limit=Window(600),
            source_file=source_file,
            api_version="toy/v1",
        )
        return [Built(slo, TOY_FIELDS)]


def _write(path: Path, document: object) -> None:
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_formats_registry_holds_our_format_first() -> None:
    assert FORMATS[0] is AEGIS_V1
    assert AEGIS_V1.api_versions == ("aegis.slo/v1", "aegis.dev/v1")


def test_format_for_claims_by_api_version_and_defaults_when_missing() -> None:
    toy: Format = ToyFormat()
    formats = (AEGIS_V1, toy)
    assert format_for({"apiVersion": "aegis.dev/v1"}, formats) is AEGIS_V1
    assert format_for({"apiVersion": "toy/v1"}, formats) is toy
    assert format_for({"kind": "SLO"}, formats) is AEGIS_V1, "the first format reports a missing apiVersion"
    assert format_for({"apiVersion": "openslo/v1"}, formats) is None
    (issue,) = unclaimed_issues({"apiVersion": "toy/v2"}, formats)
    assert issue.path == ("apiVersion",)
    assert issue.message == (
        "expected one of 'aegis.slo/v1', 'aegis.dev/v1', 'toy/v1', found 'toy/v2' (a string); "
        "did you mean 'toy/v1'?"
    )


def test_registered_format_loads_beside_ours_and_model_checks_point_at_its_fields(tmp_path: Path) -> None:
    _write(tmp_path / "a-ours.yaml", valid_document("ours"))
    _write(tmp_path / "b-toy.yaml", {"apiVersion": "toy/v1", "name": "toy-ok", "period": "30d", "alerts": []})
    bad = {
        "apiVersion": "toy/v1",
        "name": "toy-bad",
        "period": "1d",
        "alerts": [{"fast": "2h", "slow": "1h"}],
    }
    _write(tmp_path / "c-toy.yaml", bad)

    result = load_directory(tmp_path, formats=(AEGIS_V1, ToyFormat()))

    assert [(slo.id, slo.api_version) for slo in result.slos] == [
        ("ours", "aegis.slo/v1"),
        ("toy-ok", "toy/v1"),
    ]
    assert [(p.path, p.message) for p in result.problems] == [
        ("alerts[0].fast", "expected fast shorter than slow (1h), found 2h (line 5)")
    ]


def test_unregistered_format_is_one_problem_on_api_version(tmp_path: Path) -> None:
    _write(tmp_path / "toy.yaml", {"apiVersion": "toy/v1", "name": "toy-ok", "period": "30d", "alerts": []})

    result = load_directory(tmp_path)

    assert [(p.path, p.message.split(",")[0]) for p in result.problems] == [
        ("apiVersion", "expected one of 'aegis.slo/v1'")
    ]


def test_field_map_fills_list_positions_and_falls_back_to_the_document() -> None:
    assert TOY_FIELDS.file_path(("burn_rate_rules", 3, "short_window")) == ("alerts", 3, "fast")
    assert TOY_FIELDS.dotted(("burn_rate_rules", 3, "long_window")) == "alerts[3].slow"
    assert TOY_FIELDS.name(("window",)) == "period"
    assert TOY_FIELDS.file_path(("staleness_limit",)) == ()
    assert TOY_FIELDS.name(("staleness_limit",)) == "staleness_limit"
