"""parse_documents: documents, line lookup, duplicate keys and syntax errors."""

from __future__ import annotations

import pytest

from aegis.spec.yaml_source import YamlSourceError, parse_documents

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


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: b: c\n", "invalid YAML at line 1, column 5: mapping values are not allowed here"),
        ("a: 'open\n", "invalid YAML at line 2, column 1: found unexpected end of stream"),
        ("a: *nowhere\n", "found undefined alias 'nowhere'"),
        ("a: \x07\n", "invalid YAML at line 1, column 4: unacceptable character #x0007"),
    ],
)
def test_parse_documents_syntax_error_has_position(text: str, fragment: str) -> None:
    with pytest.raises(YamlSourceError) as caught:
        parse_documents(text)

    assert fragment in str(caught.value)
