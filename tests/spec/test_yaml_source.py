"""parse_documents: documents, line lookup, duplicate keys, syntax errors and the bounds on hostile YAML.

Every behaviour holds for both event sources: libyaml (the default) and PyYAML's
pure-Python parser (the fallback when PyYAML was built without libyaml).
"""

from __future__ import annotations

from typing import Any

import pytest

from aegis.spec import yaml_source
from aegis.spec.yaml_source import MAX_DEPTH, MAX_NODES, PythonLoader, YamlSourceError, parse_documents

LOADERS = [pytest.param(yaml_source.Loader, id="libyaml"), pytest.param(PythonLoader, id="python")]


def test_default_loader_uses_libyaml() -> None:
    assert yaml_source.Loader is not PythonLoader, "PyYAML without libyaml: loading is several times slower"


TEXT = """\
first: 1
nested:
  list:
    - a
    - key: value
---
second: 2
"""


@pytest.mark.parametrize(
    ("document", "path", "line"),
    [
        (0, (), 1),
        (0, ("first",), 1),
        (0, ("nested",), 2),
        (0, ("nested", "list"), 3),
        (0, ("nested", "list", 1), 5),
        (0, ("nested", "list", 1, "key"), 5),
        (0, ("nested", "missing", "deeper"), 2),
        (0, ("nested", "list", 9), 3),
        (1, ("second",), 7),
        (1, ("absent",), 7),
    ],
)
def test_line_of_points_at_field_or_nearest_parent(
    document: int, path: tuple[str | int, ...], line: int
) -> None:
    assert parse_documents(TEXT)[document].line_of(path) == line


def test_parse_documents_keeps_empty_documents_as_none() -> None:
    assert [d.data for d in parse_documents("---\n---\na: 1\n---\n")] == [None, {"a": 1}, None]


def test_parse_documents_duplicate_key_names_both_lines() -> None:
    with pytest.raises(
        YamlSourceError, match=r"line 3, column 3: found duplicate key 'b' \(first written at line 2\)"
    ):
        parse_documents("a:\n  b: 1\n  b: 2\n")


def test_parse_documents_merge_key_may_override_merged_values() -> None:
    (document,) = parse_documents("base: &base {x: 1, y: 2}\nchild:\n  <<: *base\n  y: 3\n")

    assert document.data == {"base": {"x": 1, "y": 2}, "child": {"x": 1, "y": 3}}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: b: c\n", "invalid YAML at line 1, column 5: mapping values are not allowed"),
        ("a: 'open\n", "invalid YAML at line 2, column 1: found unexpected end of stream"),
        ("a: *nowhere\n", "found undefined alias 'nowhere'"),
        ("a: \x07\n", "invalid YAML at line 1, column 4: unacceptable character #x0007"),
        ("é: ü\nb: \x07\n", "invalid YAML at line 2, column 4: unacceptable character #x0007"),
        ("a:\n  b: 1\n  b: 2\n", "line 3, column 3: found duplicate key 'b' (first written at line 2)"),
    ],
)
def test_parse_documents_syntax_error_has_position(loader: Any, text: str, fragment: str) -> None:
    with pytest.raises(YamlSourceError) as caught:
        parse_documents(text, loader=loader)

    assert fragment in str(caught.value)


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The 899-byte file of the finding: 9 levels of 9 aliases, used as metadata.name."""
    lines = ['a0: &a0 "lol"']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nmetadata:\n  name: *a{levels}\n"


def _alias_chain(links: int) -> str:
    return "a0: &a0 x\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, links))


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            _alias_bomb(),
            f"line 6, column 10: more than {MAX_NODES} values in one file once aliases are expanded",
        ),
        (_alias_chain(10_000), f"nested more than {MAX_DEPTH} levels deep (aliases included)"),
        ("[" * 5000 + "]" * 5000, "invalid YAML at line 1, column"),
        ("".join("  " * i + f"k{i}:\n" for i in range(200)), f"nested more than {MAX_DEPTH} levels deep"),
        ("a: &x [*x]\n", "alias *x is used inside its own anchor (a recursive value)"),
        ("a: &x {b: *x}\n", "alias *x is used inside its own anchor"),
        ("threshold: " + "9" * 5000 + "\n", "a number written with 5000 characters; at most 64 are read"),
        ("threshold: 0." + "1" * 5000 + "\n", "a number written with 5002 characters"),
    ],
    ids=[
        "alias-bomb",
        "alias-chain",
        "deep-flow",
        "deep-block",
        "recursive-list",
        "recursive-map",
        "digits",
        "float-digits",
    ],
)
def test_parse_documents_hostile_yaml_is_one_error_before_anything_expands(
    loader: Any, text: str, fragment: str
) -> None:
    with pytest.raises(YamlSourceError) as caught:
        parse_documents(text, loader=loader)

    assert fragment in str(caught.value)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(
    "text",
    ["".join(f"k{i}: {i}\n" for i in range(MAX_NODES)), "---\n" * (MAX_NODES + 1)],
    ids=["many-values", "many-documents"],
)
def test_parse_documents_too_many_values_is_one_error(text: str) -> None:
    """Only libyaml here: the size bound is the same code for both, and the fallback is slow."""
    with pytest.raises(YamlSourceError, match=f"more than {MAX_NODES} values in one file"):
        parse_documents(text)


@pytest.mark.parametrize("loader", LOADERS)
def test_parse_documents_aliases_within_the_bounds_load(loader: Any) -> None:
    text = _alias_bomb(levels=3, width=9) + "other: *a2\n"

    (document,) = parse_documents(text, loader=loader)

    assert isinstance(document.data, dict)
    assert len(document.data["metadata"]["name"]) == 9
    assert document.data["other"][0] == ["lol"] * 9


def test_parse_documents_never_quotes_a_long_tag_in_full() -> None:
    with pytest.raises(YamlSourceError) as caught:
        parse_documents("a: !" + "x" * 100_000 + " y\n")

    assert "could not determine a constructor" in str(caught.value)
    assert len(str(caught.value)) < 300
