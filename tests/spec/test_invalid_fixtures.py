"""Each file in fixtures/slo/invalid shows one kind of mistake and the exact problem it gets."""

from __future__ import annotations

import pytest

from aegis.spec.loader import load_directory, load_file
from tests.spec.samples import INVALID_DIR

# file -> every expected problem as (path, message fragment); nothing else may be reported.
RULES = "spec.burnPolicy.rules"
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "yaml-syntax-error.yaml": [("", "invalid YAML at line 7, column 10")],
    "empty.yaml": [("", "file is empty")],
    "not-a-mapping.yaml": [("", "expected a mapping with apiVersion, kind, metadata and spec, found a list")],
    "unknown-field.yaml": [
        (f"{RULES}[0].threshold", "required field is missing"),
        (f"{RULES}[0].treshold", "unknown field 'treshold'; did you mean 'threshold'?"),
    ],
    "missing-required-field.yaml": [("spec.sli.total", "required field is missing")],
    "bad-duration.yaml": [
        ("spec.complianceWindow", "expected a duration like 30s, 5m, 1h or 30d, found '30 days'")
    ],
    "short-window-not-shorter.yaml": [
        (f"{RULES}[1].shortWindow", "expected shortWindow shorter than longWindow (30m), found 6h")
    ],
    "objective-percent.yaml": [
        ("spec.objective", "strictly between 0 and 1 (write 99.5% as 0.995), found 99.5")
    ],
    "negative-threshold.yaml": [
        (f"{RULES}[1].threshold", "expected a burn rate from 0.0001 to 100000, found -6")
    ],
    "latency-without-threshold.yaml": [("spec.sli.thresholdMs", "latency SLIs need thresholdMs")],
    "threshold-on-availability.yaml": [("spec.sli.thresholdMs", "expected no thresholdMs for this SLI type")],
    "wrong-api-version.yaml": [
        (
            "apiVersion",
            "expected one of 'aegis.slo/v1', 'aegis.dev/v1', 'openslo/v1' (or Sloth's version: "
            "prometheus/v1 without an apiVersion), found 'aegis.slo/v2'",
        )
    ],
    "wrong-kind.yaml": [("kind", "expected 'SLO', found 'ServiceLevelObjective'")],
    "bad-action.yaml": [(f"{RULES}[0].action", "expected one of 'ALLOW', 'WARN', 'BLOCK', found 'DENY'")],
    "bad-id.yaml": [("metadata.id", "expected an id of 3 to 128 characters")],
    "duplicate-rule-name.yaml": [(f"{RULES}[1].name", "unique within the SLO, found 'fast-burn' again")],
    "duplicate-key.yaml": [("", "found duplicate key 'objective' (first written at line 10)")],
    "evaluation-interval-too-long.yaml": [
        ("spec.evaluationInterval", "expected a duration from 1s to 24h, found 3551w")
    ],
    # v0.1.0's invalid fixtures, byte for byte.
    "compliance-too-small.yaml": [
        (
            f"{RULES}[0].longWindow",
            "no longer than the compliance window spec.complianceWindow (1h), found 6h",
        )
    ],
    "missing-fields.yaml": [
        ("spec.objective", "required field is missing"),
        (RULES, "expected a list of 1 to 50 burn-rate rules, found an empty list"),
    ],
    # Valid alone; load_directory reports the second file of the pair (see below).
    "duplicate-id-a.yaml": [],
    "duplicate-id-b.yaml": [],
}


def test_invalid_fixtures_table_covers_every_file() -> None:
    assert {p.name for p in INVALID_DIR.iterdir()} == set(EXPECTED)


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_load_file_invalid_fixture_reports_expected_problems(
    name: str, expected: list[tuple[str, str]]
) -> None:
    result = load_file(INVALID_DIR / name)

    assert len(result.problems) == len(expected), [str(p) for p in result.problems]
    for problem, (path, fragment) in zip(result.problems, expected, strict=True):
        assert problem.file == str(INVALID_DIR / name)
        assert problem.path == path
        assert fragment in problem.message
    assert result.ok is (not expected)
    assert len(result.slos) == (0 if expected else 1)


def test_load_directory_invalid_fixtures_reports_duplicate_id_naming_both_files() -> None:
    result = load_directory(INVALID_DIR)

    duplicates = [p for p in result.problems if p.path == "metadata.id" and "duplicate id" in p.message]
    assert len(duplicates) == 1
    assert duplicates[0].file == str(INVALID_DIR / "duplicate-id-b.yaml")
    assert str(INVALID_DIR / "duplicate-id-a.yaml") in duplicates[0].message
    assert [(slo.id, slo.source_file) for slo in result.slos] == [
        ("dup-slo", str(INVALID_DIR / "duplicate-id-a.yaml"))
    ]


def test_load_directory_invalid_fixtures_reports_every_file_in_name_order() -> None:
    result = load_directory(INVALID_DIR)

    files = [p.file for p in result.problems]
    assert files == sorted(files)
    reported = {p.file.rsplit("/", 1)[-1] for p in result.problems}
    assert reported == {name for name, expected in EXPECTED.items() if expected} | {"duplicate-id-b.yaml"}
