"""The JSON Schema file: valid draft 2020-12, one copy, and in step with durations.py and the builder."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from aegis.spec import build
from aegis.spec.durations import DurationError, Window
from aegis.spec.schema import schema_issues, slo_schema
from tests.spec.samples import valid_document

REPO = Path(__file__).resolve().parents[2]


def test_slo_schema_is_valid_draft_2020_12() -> None:
    schema = slo_schema()

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schemas_dir_links_to_the_packaged_schema() -> None:
    link = REPO / "schemas" / "slo_v1.json"

    assert link.is_symlink()
    assert os.readlink(link) == "../aegis/spec/slo_v1.json"
    assert json.loads(link.read_text()) == slo_schema()


@pytest.mark.parametrize(
    "text",
    [
        "30s",
        "5m",
        "1h",
        "30d",
        "2w",
        "90m",
        "1s",
        "10d",
        "0s",
        "05m",
        "1.5h",
        "1H",
        "5 m",
        "m",
        "",
        "1y",
        "-5m",
    ],
)
def test_schema_duration_pattern_agrees_with_window_parse(text: str) -> None:
    try:
        Window.parse(text)
        parses = True
    except DurationError:
        parses = False
    document = valid_document()
    document["spec"]["window"] = text
    document["spec"]["burnRateRules"] = [
        {"name": "r", "shortWindow": "1s", "longWindow": "2s", "threshold": 1}
    ]

    paths = [issue.path for issue in schema_issues(document)]

    assert (("spec", "window") not in paths) is parses


def _defaults() -> dict[str, Any]:
    definitions = slo_schema()["$defs"]
    spec = definitions["spec"]["properties"]
    return {
        "evaluationInterval": spec["evaluationInterval"]["default"],
        "stalenessLimit": spec["stalenessLimit"]["default"],
        "minDataPoints": spec["minDataPoints"]["default"],
        "action": definitions["burnRateRule"]["properties"]["action"]["default"],
    }


def test_schema_defaults_match_the_builder_defaults() -> None:
    assert _defaults() == {
        "evaluationInterval": build.DEFAULT_EVALUATION_INTERVAL,
        "stalenessLimit": build.DEFAULT_STALENESS_LIMIT,
        "minDataPoints": build.DEFAULT_MIN_DATA_POINTS,
        "action": build.DEFAULT_ACTION.name,
    }


def test_schema_sli_types_match_the_builder_mapping() -> None:
    branches = slo_schema()["allOf"]
    types = {
        branch["if"]["properties"]["apiVersion"]["const"]: branch["then"]["properties"]["spec"]["properties"][
            "sli"
        ]["properties"]["type"]["enum"]
        for branch in branches
    }

    assert types == {
        "aegis.slo/v1": ["availability", "latency", "ratio"],
        "aegis.dev/v1": ["ratio", "latency_threshold"],
    }
    assert set(build.SLI_TYPES) == {t for names in types.values() for t in names}


def test_schema_every_object_forbids_unknown_fields() -> None:
    objects: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                objects.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(slo_schema())

    assert len(objects) == 5  # document, metadata, spec, sli, burn-rate rule
    assert all(node["additionalProperties"] is False for node in objects)


def test_schema_issues_valid_document_has_none() -> None:
    assert schema_issues(valid_document()) == []
