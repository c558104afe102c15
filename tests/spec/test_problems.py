"""SpecProblem text, field paths and how found values are described."""

from __future__ import annotations

import datetime

import pytest

from aegis.spec.problems import SpecProblem, describe_value, format_path, shorten


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (SpecProblem("a.yaml", "spec.objective", "expected x"), "a.yaml: spec.objective: expected x"),
        (SpecProblem("a.yaml", "", "file is empty"), "a.yaml: file is empty"),
    ],
)
def test_spec_problem_str_omits_empty_path(problem: SpecProblem, text: str) -> None:
    assert str(problem) == text


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("kind",), "kind"),
        (("spec", "burnPolicy", "rules", 0, "threshold"), "spec.burnPolicy.rules[0].threshold"),
        (("spec", "burnPolicy", "rules", 2), "spec.burnPolicy.rules[2]"),
    ],
)
def test_format_path_table(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "nothing (an empty value)"),
        (False, "false (a boolean)"),
        (3, "3 (an integer)"),
        (0.5, "0.5 (a number)"),
        ("x" * 70, "'" + "x" * 57 + "...' (a string)"),
        ({}, "an empty mapping"),
        ({"a": 1}, "a mapping"),
        ([1], "a list"),
        (datetime.date(2024, 1, 2), "2024-01-02 (a date; quote it to make it a string)"),
        (b"x", "b'x' (a bytes)"),
    ],
)
def test_describe_value_table(value: object, text: str) -> None:
    assert describe_value(value) == text


@pytest.mark.parametrize(
    ("text", "limit", "shown"),
    [("abc", 3, "abc"), ("abcdefgh", 6, "abc..."), ("x" * 10**6, 10, "xxxxxxx...")],
)
def test_shorten_quotes_a_snippet_never_the_whole_text(text: str, limit: int, shown: str) -> None:
    assert shorten(text, limit) == shown


def test_describe_value_never_copies_a_long_value() -> None:
    assert len(describe_value(["x" * 10**6])) < 100
    assert len(describe_value("x" * 10**6)) < 100
