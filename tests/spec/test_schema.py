"""The JSON Schema file: valid draft 2020-12, one copy, and in step with durations.py and the format."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from aegis.spec.durations import DurationError, Window
from aegis.spec.formats import aegis_v1
from aegis.spec.schema import packaged_schema, schema_issues
from tests.spec.samples import valid_document


def slo_schema() -> Any:
    return packaged_schema(aegis_v1.SCHEMA_RESOURCE)


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
        "120s",
        "05m",
        "999999999s",
        "0s",
        "000m",
        "1000000000s",
        "1.5h",
        "1H",
        "5 m",
        "m",
        "",
        "1y",
        "-5m",
        "1" * 5000 + "d",
    ],
)
def test_schema_duration_pattern_agrees_with_window_parse(text: str) -> None:
    try:
        Window.parse(text)
        parses = True
    except DurationError:
        parses = False
    document = valid_document()
    document["spec"]["complianceWindow"] = text

    paths = [issue.path for issue in schema_issues(document, aegis_v1.SCHEMA_RESOURCE)]

    assert (("spec", "complianceWindow") not in paths) is parses


def test_schema_default_action_matches_the_format() -> None:
    """Only a rule's action has a default: everything else v0.1.0 required is required."""
    rule = slo_schema()["$defs"]["rule"]

    assert rule["properties"]["action"]["default"] == aegis_v1.DEFAULT_ACTION.name
    assert "action" not in rule["required"]


def test_schema_sli_types_match_the_format_mapping() -> None:
    assert slo_schema()["$defs"]["sli"]["properties"]["type"]["enum"] == list(aegis_v1.SLI_TYPES)


def test_schema_required_fields_are_v010s() -> None:
    """v0.1.0's schema (fixtures' source) required exactly these; a rule's action is optional here."""
    definitions = slo_schema()["$defs"]

    assert slo_schema()["required"] == ["apiVersion", "kind", "metadata", "spec"]
    assert definitions["metadata"]["required"] == ["id", "service"]
    assert definitions["spec"]["required"] == [
        "environment",
        "objective",
        "complianceWindow",
        "evaluationInterval",
        "sli",
        "burnPolicy",
        "gating",
    ]
    assert definitions["sli"]["required"] == ["type", "good", "total"]
    assert definitions["rule"]["required"] == ["name", "shortWindow", "longWindow", "threshold"]
    assert definitions["spec"]["properties"]["gating"]["required"] == ["minDataPoints", "stalenessLimit"]


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

    # document, metadata, spec, burnPolicy, budgetPolicy, gating, sli, query (good/total), rule
    assert len(objects) == 9
    assert all(node["additionalProperties"] is False for node in objects)


def test_schema_issues_valid_document_has_none() -> None:
    assert schema_issues(valid_document(), aegis_v1.SCHEMA_RESOURCE) == []
