"""load_file / load_directory on real files: what loads, what is reported, and in which order."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aegis.spec.durations import Window
from aegis.spec.loader import (
    LoadResult,
    SpecDirectoryError,
    SpecProblem,
    load_directory,
    load_file,
    spec_files,
)
from aegis.spec.model import Decision, SLIType
from tests.spec.conftest import WriteYaml
from tests.spec.samples import VALID_DIR, VALID_IDS, valid_document


def test_load_directory_valid_fixtures_loads_every_id_without_problems() -> None:
    result = load_directory(VALID_DIR)

    assert result.problems == ()
    assert result.ok
    assert {slo.id for slo in result.slos} == VALID_IDS
    assert [slo.source_file for slo in result.slos] == [str(p) for p in sorted(VALID_DIR.glob("*.yaml"))]


def test_load_file_readme_example_maps_every_field() -> None:
    """fixtures/slo/valid/api-availability.yaml is the seed README's example, byte for byte."""
    (slo,) = load_file(VALID_DIR / "api-availability.yaml").slos

    assert (slo.id, slo.service, slo.owner, slo.environment) == (
        "api-availability",
        "api-gateway",
        "platform-team",
        "production",
    )
    assert (slo.name, slo.description, dict(slo.labels)) == ("", "", {})
    assert slo.objective == 0.995
    assert slo.window == Window.parse("30d")
    assert slo.sli.type is SLIType.AVAILABILITY
    assert slo.sli.good_query == 'sum(rate(http_requests_total{status!~"5.."}[{{window}}]))\n'
    assert slo.sli.total_query == "sum(rate(http_requests_total[{{window}}]))\n"
    assert slo.sli.threshold_ms is None
    assert [
        (r.name, r.short_window.text, r.long_window.text, r.threshold, r.action) for r in slo.burn_rate_rules
    ] == [
        ("fast-burn", "5m", "1h", 14.0, Decision.BLOCK),
        ("slow-burn", "1h", "6h", 7.0, Decision.BLOCK),
    ]
    assert (slo.evaluation_interval.text, slo.staleness_limit.text, slo.min_data_points) == ("5m", "10m", 10)
    assert slo.api_version == "aegis.slo/v1"
    assert slo.source_file == str(VALID_DIR / "api-availability.yaml")


def test_load_file_v010_fixture_maps_every_field() -> None:
    """v0.1.0's fixtures/slo/valid/checkout-availability.yaml (aegis.dev/v1), byte for byte."""
    (slo,) = load_file(VALID_DIR / "checkout-availability.yaml").slos

    assert (slo.id, slo.service, slo.owner, slo.environment, slo.api_version) == (
        "checkout-availability",
        "checkout",
        "sre",
        "prod",
        "aegis.dev/v1",
    )
    assert slo.description == "Checkout availability based on successful HTTP responses"
    assert (slo.objective, slo.window.text, slo.evaluation_interval.text) == (0.999, "30d", "30s")
    assert slo.sli.type is SLIType.RATIO
    assert [
        (r.name, r.short_window.text, r.long_window.text, r.threshold, r.action) for r in slo.burn_rate_rules
    ] == [("fast-burn", "5m", "1h", 14.0, Decision.BLOCK)]
    assert (slo.min_data_points, slo.staleness_limit.seconds) == (1, 120)


def test_load_file_optional_fields_get_defaults(write_yaml: WriteYaml) -> None:
    (slo,) = load_file(write_yaml("slo.yaml", valid_document())).slos

    assert (slo.name, slo.description, slo.owner, dict(slo.labels)) == ("", "", "", {})
    assert {r.action for r in slo.burn_rate_rules} == {Decision.BLOCK}


def test_load_file_documented_additions_load(write_yaml: WriteYaml) -> None:
    document = valid_document()
    document["metadata"].update(
        name="Demo availability", owner="team-a", description="Demo.", labels={"tier": "1", "team": "a"}
    )

    (slo,) = load_file(write_yaml("slo.yaml", document)).slos

    assert (slo.name, slo.owner, slo.description) == ("Demo availability", "team-a", "Demo.")
    assert slo.labels == {"tier": "1", "team": "a"}


@pytest.mark.parametrize("api_version", ["aegis.slo/v1", "aegis.dev/v1"])
@pytest.mark.parametrize(
    ("sli_type", "threshold_ms", "expected_type"),
    [
        ("availability", None, SLIType.AVAILABILITY),
        ("ratio", None, SLIType.RATIO),
        ("latency", 300, SLIType.LATENCY),
        ("latency_threshold", 250, SLIType.LATENCY),
    ],
)
def test_load_file_sli_type_maps_per_api_version(
    write_yaml: WriteYaml, api_version: str, sli_type: str, threshold_ms: float | None, expected_type: SLIType
) -> None:
    document = valid_document()
    document["apiVersion"] = api_version
    document["spec"]["sli"]["type"] = sli_type
    if threshold_ms is not None:
        document["spec"]["sli"]["thresholdMs"] = threshold_ms

    result = load_file(write_yaml("slo.yaml", document))

    assert result.problems == ()
    (slo,) = result.slos
    assert (slo.sli.type, slo.sli.threshold_ms, slo.api_version) == (expected_type, threshold_ms, api_version)


@pytest.mark.parametrize(
    ("path", "expected"), [("legacy-ratio.yaml", Decision.WARN), ("api-warn-only.yaml", Decision.WARN)]
)
def test_load_file_fixture_rule_action_warn_loads_as_warn(path: str, expected: Decision) -> None:
    (slo,) = load_file(VALID_DIR / path).slos

    assert expected in {r.action for r in slo.burn_rate_rules}


def test_load_file_several_documents_load_in_order_skipping_empty_ones(write_yaml: WriteYaml) -> None:
    first, second = valid_document("first"), valid_document("second")
    path = write_yaml(
        "two.yaml", text="---\n# nothing here\n---\n" + _dump(first) + "---\n---\n" + _dump(second)
    )

    result = load_file(path)

    assert result.problems == ()
    assert [slo.id for slo in result.slos] == ["first", "second"]


def test_load_file_bad_document_does_not_hide_good_ones_in_same_file(write_yaml: WriteYaml) -> None:
    bad = valid_document("bad")
    bad["spec"]["objective"] = 2
    path = write_yaml("mixed.yaml", valid_document("good"), bad)

    result = load_file(path)

    assert [slo.id for slo in result.slos] == ["good"]
    assert [(p.path, "strictly between 0 and 1" in p.message) for p in result.problems] == [
        ("spec.objective", True)
    ]
    # Line numbers count from the start of the file, so they tell the documents apart.
    assert result.problems[0].message.endswith(f"(line {_line_of(path, 'objective: 2')})")


def test_load_file_duplicate_id_within_file_reports_second(write_yaml: WriteYaml) -> None:
    path = write_yaml("dup.yaml", valid_document("same"), valid_document("same"))

    result = load_file(path)

    assert len(result.slos) == 1
    (problem,) = result.problems
    assert (problem.file, problem.path) == (str(path), "metadata.id")
    assert f"duplicate id 'same', already defined in {path}:" in problem.message


def test_load_directory_mixed_good_and_bad_files_loads_good_and_reports_bad(write_yaml: WriteYaml) -> None:
    write_yaml("a-good.yaml", valid_document("a-good"))
    bad = valid_document("b-bad")
    rule = bad["spec"]["burnPolicy"]["rules"][0]
    rule["treshold"] = rule.pop("threshold")
    bad_path = write_yaml("b-bad.yaml", bad)
    syntax_path = write_yaml("c-syntax.yml", text="apiVersion: [aegis.slo/v1\nkind: SLO\n")
    write_yaml("d-good.yml", valid_document("d-good"))
    write_yaml("e-ignored.txt", text="not: yaml: at: all")

    result = load_directory(bad_path.parent)

    assert [slo.id for slo in result.slos] == ["a-good", "d-good"]
    assert [(p.file, p.path) for p in result.problems] == [
        (str(bad_path), "spec.burnPolicy.rules[0].threshold"),
        (str(bad_path), "spec.burnPolicy.rules[0].treshold"),
        (str(syntax_path), ""),
    ]
    assert "line 2, column" in result.problems[2].message


def test_load_directory_duplicate_id_keeps_first_file_and_names_both(write_yaml: WriteYaml) -> None:
    first = write_yaml("a.yaml", valid_document("shared"))
    second = write_yaml("b.yaml", valid_document("shared"), valid_document("only-b"))

    result = load_directory(first.parent)

    assert [(slo.id, slo.source_file) for slo in result.slos] == [
        ("shared", str(first)),
        ("only-b", str(second)),
    ]
    (problem,) = result.problems
    first_line, second_line = _line_of(first, "id: shared"), _line_of(second, "id: shared")
    assert problem == SpecProblem(
        str(second),
        "metadata.id",
        f"duplicate id 'shared', already defined in {first}:{first_line} (line {second_line})",
    )


def test_load_directory_invalid_document_id_does_not_claim_the_id(write_yaml: WriteYaml) -> None:
    broken = valid_document("shared")
    broken["kind"] = "Nope"
    write_yaml("a.yaml", broken)
    good = write_yaml("b.yaml", valid_document("shared"))

    result = load_directory(good.parent)

    assert [slo.source_file for slo in result.slos] == [str(good)]
    assert [p.path for p in result.problems] == ["kind"]


def test_spec_files_yaml_and_yml_recursive_in_path_order_without_hidden(tmp_path: Path) -> None:
    """v0.1.0 walked the directory recursively; hidden files and directories are skipped."""
    for name in ("b.yml", "a.yaml", "c.YAML.bak", ".hidden.yaml", "notes.txt"):
        (tmp_path / name).write_text("x: 1\n")
    for directory in ("sub", "sub/deeper", ".git", "dir.yaml"):
        (tmp_path / directory).mkdir()
    (tmp_path / "sub" / "nested.yaml").write_text("x: 1\n")
    (tmp_path / "sub" / "deeper" / "deep.yml").write_text("x: 1\n")
    (tmp_path / ".git" / "config.yaml").write_text("x: 1\n")

    assert [p.relative_to(tmp_path).as_posix() for p in spec_files(tmp_path)] == [
        "a.yaml",
        "b.yml",
        "sub/deeper/deep.yml",
        "sub/nested.yaml",
    ]


def test_load_directory_dangling_symlink_is_reported_not_skipped(write_yaml: WriteYaml) -> None:
    good = write_yaml("a.yaml", valid_document())
    dangling = good.parent / "b.yaml"
    dangling.symlink_to(good.parent / "gone.yaml")

    result = load_directory(good.parent)

    assert [slo.id for slo in result.slos] == ["demo"]
    assert [(p.file, p.path) for p in result.problems] == [(str(dangling), "")]
    assert "cannot read file" in result.problems[0].message


def test_load_directory_without_spec_files_is_a_problem(tmp_path: Path) -> None:
    result = load_directory(tmp_path)

    assert result.slos == ()
    assert [(p.file, p.path) for p in result.problems] == [(str(tmp_path), "")]
    assert "no SLO files" in result.problems[0].message


@pytest.mark.parametrize(("make", "fragment"), [("missing", "not found"), ("file", "not a directory")])
def test_load_directory_unusable_directory_raises_spec_directory_error(
    tmp_path: Path, make: str, fragment: str
) -> None:
    target = tmp_path / "slos"
    if make == "file":
        target.write_text("")

    with pytest.raises(SpecDirectoryError, match=fragment):
        load_directory(target)


def test_load_file_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    result = load_file(tmp_path / "gone.yaml")

    assert result.slos == ()
    assert [p.path for p in result.problems] == [""]
    assert "cannot read file" in result.problems[0].message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"\xff\xfe not utf-8", "expected UTF-8 text, found byte 0xff at offset 0"),
        (b"", "file is empty"),
        (b"# only a comment\n", "file is empty"),
        (b"---\n---\n...\n", "file is empty"),
        (b"just a string\n", "found 'just a string' (a string)"),
        (b"42\n", "found 42 (an integer)"),
        (b"a: &x [*x]\n", "alias *x is used inside its own anchor (a recursive value)"),
        (b"apiVersion: !!python/object:os.system x\n", "invalid YAML at line 1, column 13"),
        (b"\t- tab\n", "invalid YAML at line 1, column 1"),
        (b"kind: \x07\n", "unacceptable character #x0007"),
        (b"[" * 5000 + b"]" * 5000, "invalid YAML"),
        (b"{1: x, [a]: y}\n", "invalid YAML at line 1"),
        (b"1: x\n", "expected a text field name, found 1 (an integer)"),
    ],
)
def test_load_file_hostile_content_gives_problem_never_exception(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)

    result = load_file(path)

    assert result.slos == ()
    assert any(fragment in p.message for p in result.problems), [str(p) for p in result.problems]


def test_load_file_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + _dump(valid_document()).encode())

    assert load_file(path).problems == ()


def test_load_file_reports_all_problems_not_just_first(write_yaml: WriteYaml) -> None:
    document = valid_document()
    document["kind"] = "Slo"
    document["spec"]["objective"] = 99.5
    document["spec"]["complianceWindow"] = "month"
    document["spec"]["burnPolicy"]["rules"][1]["action"] = "block"

    result = load_file(write_yaml("many.yaml", document))

    assert [p.path for p in result.problems] == [
        "kind",
        "spec.objective",
        "spec.complianceWindow",
        "spec.burnPolicy.rules[1].action",
    ]


def test_load_result_ok_reflects_problems() -> None:
    assert LoadResult().ok
    assert not LoadResult(problems=(SpecProblem("f.yaml", "", "broken"),)).ok


def _dump(document: object) -> str:
    import yaml

    return yaml.safe_dump(document, sort_keys=False)


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_load_directory_configmap_mount_loads_each_file_once(tmp_path: Path) -> None:
    """Kubernetes mounts a ConfigMap as ``..<timestamp>/`` files behind ``..data`` and per-file links."""
    slo_dir = tmp_path / "slos"
    real = slo_dir / "..2026_11_27_12_00_00.123"
    real.mkdir(parents=True)
    for name in ("api-availability.yaml", "checkout-availability.yaml"):
        (real / name).write_bytes((VALID_DIR / name).read_bytes())
        (slo_dir / name).symlink_to(Path("..data") / name)
    (slo_dir / "..data").symlink_to(real.name)

    result = load_directory(slo_dir)

    assert result.problems == ()
    assert [(slo.id, slo.source_file) for slo in result.slos] == [
        ("api-availability", str(slo_dir / "api-availability.yaml")),
        ("checkout-availability", str(slo_dir / "checkout-availability.yaml")),
    ]


def test_load_directory_file_under_two_names_loads_once(write_yaml: WriteYaml) -> None:
    first = write_yaml("a.yaml", valid_document("only"))
    (first.parent / "b.yaml").symlink_to("a.yaml")
    (first.parent / "team").mkdir()
    (first.parent / "team" / "c.yaml").symlink_to("../a.yaml")

    result = load_directory(first.parent)

    assert result.problems == ()
    assert [slo.source_file for slo in result.slos] == [str(first)]
    assert result.files == (str(first),)


def test_load_directory_does_not_follow_directory_links(write_yaml: WriteYaml, tmp_path: Path) -> None:
    """As v0.1.0's walk: a link to a directory is not entered (no loops, nothing outside)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "other.yaml").write_text(yaml.safe_dump(valid_document("other")))
    slo_dir = tmp_path / "slos"
    slo_dir.mkdir()
    (slo_dir / "a.yaml").write_text(yaml.safe_dump(valid_document("mine")))
    (slo_dir / "elsewhere").symlink_to(outside)
    (slo_dir / "loop").symlink_to(".")

    result = load_directory(slo_dir)

    assert [slo.id for slo in result.slos] == ["mine"]
    assert result.problems == ()


def test_load_directory_link_inside_the_directory_is_read(tmp_path: Path) -> None:
    slo_dir = tmp_path / "slos"
    (slo_dir / "shared").mkdir(parents=True)
    (slo_dir / "shared" / "slo.yml").write_text(yaml.safe_dump(valid_document("linked")))
    (slo_dir / "linked.yaml").symlink_to("shared/slo.yml")

    result = load_directory(slo_dir)

    assert [slo.id for slo in result.slos] == ["linked"]
    assert result.files == (str(slo_dir / "linked.yaml"),)
