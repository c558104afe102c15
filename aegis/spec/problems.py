"""What loading SLO files reports: problems tied to a file and a field, and the overall result.

Problems are values, not exceptions, so that one run can report every mistake
in every file at once instead of stopping at the first.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from aegis.spec.model import SLO

# A location inside a document: mapping keys and list indexes, outermost first.
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldIssue:
    """A problem inside one document, before it is tied to a file and a line."""

    path: FieldPath
    message: str


class SpecDirectoryError(Exception):
    """The SLO directory itself cannot be used: missing, not a directory, unreadable.

    A usage error rather than a problem with any SLO, so it is raised, not reported.
    """


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong with one SLO file.

    ``path`` is a dotted field path such as ``spec.burnPolicy.rules[0].threshold``,
    or ``""`` when the problem concerns the whole file or document.
    """

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        if self.path:
            return f"{self.file}: {self.path}: {self.message}"
        return f"{self.file}: {self.message}"


@dataclass(frozen=True)
class LoadResult:
    """The SLOs that loaded cleanly, every problem found on the way, and the files read."""

    slos: tuple[SLO, ...] = ()
    problems: tuple[SpecProblem, ...] = ()
    files: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def format_path(path: Sequence[str | int]) -> str:
    """Dotted path with list indexes in brackets.

    >>> format_path(("spec", "burnPolicy", "rules", 0, "threshold"))
    'spec.burnPolicy.rules[0].threshold'
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis: messages quote files, never copy them.

    >>> shorten("abcdefgh", 6)
    'abc...'
    """
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def describe_value(value: object) -> str:
    """How a found value reads in a message, with its YAML kind where it matters.

    >>> describe_value("99.5%")
    "'99.5%' (a string)"
    >>> describe_value(True)
    'true (a boolean)'
    """
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, float):
        return f"{value} (a number)"
    if isinstance(value, str):
        return f"{shorten(value, 60)!r} (a string)"
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, datetime.date):
        # YAML reads an unquoted 2024-01-01 as a date, which surprises people.
        return f"{value.isoformat()} (a date; quote it to make it a string)"
    return f"{shorten(repr(value), 60)} (a {type(value).__name__})"
