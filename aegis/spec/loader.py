"""Loading SLO files: YAML in, SLOs and problems out, never an exception for bad content.

A directory load keeps going past bad files, so one broken SLO does not hide
the others (or the other mistakes): each document either becomes SLOs or
contributes problems, and ids must be unique across every file. Each document
goes to the format that claims it (``aegis.spec.formats``); the model it builds
is then checked once, the same way for every format.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from aegis.bounded_read import FileRefused
from aegis.spec.checks import slo_issues
from aegis.spec.files import find_spec_files, read_spec_text, spec_files
from aegis.spec.formats import FORMATS, Format, format_for, unclaimed_issues
from aegis.spec.model import SLO
from aegis.spec.problems import (
    FieldIssue,
    FieldPath,
    LoadResult,
    SpecDirectoryError,
    SpecProblem,
    describe_value,
    format_path,
    shorten,
)
from aegis.spec.yaml_source import YamlDocument, YamlSourceError, parse_documents

__all__ = [
    "LoadResult",
    "SpecDirectoryError",
    "SpecProblem",
    "load_directory",
    "load_file",
    "spec_files",
]


@dataclass(frozen=True)
class _Loaded:
    """An SLO that passed every per-document check, and where its id is written."""

    slo: SLO
    id_line: int


def load_file(path: str | Path, *, root: str | Path | None = None) -> LoadResult:
    """Every SLO in one file (one per YAML document), or the problems that kept them out.

    With ``root``, a file whose links lead outside ``root`` is refused unread.
    """
    loaded, problems = _load_documents(Path(path), root)
    kept = _unique_ids(str(path), loaded, {}, problems)
    return LoadResult(slos=tuple(kept), problems=tuple(problems), files=(str(path),))


def load_directory(path: str | Path, formats: tuple[Format, ...] = FORMATS) -> LoadResult:
    """Every SLO in the spec files under ``path`` (recursively); problems for the rest.

    When two files define the same id, the first in path order wins and the
    second is reported, naming both files.
    """
    found = find_spec_files(path)
    problems = [SpecProblem(str(d), "", f"cannot read directory: {why}") for d, why in found.unreadable]
    if not found.files:
        message = "no SLO files: expected *.yaml or *.yml files in this directory or below"
        return LoadResult(problems=(*problems, SpecProblem(str(path), "", message)))
    first_by_id: dict[str, str] = {}
    slos: list[SLO] = []
    for file in found.files:
        loaded, file_problems = _load_documents(file, path, formats)
        problems.extend(file_problems)
        slos.extend(_unique_ids(str(file), loaded, first_by_id, problems))
    return LoadResult(slos=tuple(slos), problems=tuple(problems), files=tuple(str(f) for f in found.files))


def _unique_ids(
    file: str, loaded: Iterable[_Loaded], first_by_id: dict[str, str], problems: list[SpecProblem]
) -> list[SLO]:
    """Keep SLOs whose id is new; report the others. ``first_by_id`` maps id -> 'file:line'."""
    kept: list[SLO] = []
    for entry in loaded:
        first = first_by_id.get(entry.slo.id)
        if first is None:
            first_by_id[entry.slo.id] = f"{file}:{entry.id_line}"
            kept.append(entry.slo)
        else:
            message = f"duplicate id {entry.slo.id!r}, already defined in {first} (line {entry.id_line})"
            problems.append(SpecProblem(file, "metadata.id", message))
    return kept


def _load_documents(
    path: Path, root: str | Path | None, formats: tuple[Format, ...] = FORMATS
) -> tuple[list[_Loaded], list[SpecProblem]]:
    file = str(path)
    try:
        text = read_spec_text(path, root)
        documents = [d for d in parse_documents(text) if d.data is not None]
    except (FileRefused, YamlSourceError) as err:
        return [], [SpecProblem(file, "", shorten(str(err), 300))]
    if not documents:
        return [], [SpecProblem(file, "", "file is empty: expected at least one SLO document")]
    loaded: list[_Loaded] = []
    problems: list[SpecProblem] = []
    for document in documents:
        slos, issues = _document_slos(document, file, formats)
        problems.extend(_located(file, document, issues))
        loaded.extend(slos)
    return loaded, problems


def _document_slos(
    document: YamlDocument, file: str, formats: tuple[Format, ...]
) -> tuple[list[_Loaded], list[FieldIssue]]:
    data = document.data
    if not isinstance(data, Mapping):
        expected = "expected a mapping with apiVersion, kind, metadata and spec"
        return [], [FieldIssue((), f"{expected}, found {describe_value(data)}")]
    chosen = format_for(data, formats)
    if chosen is None:
        return [], unclaimed_issues(data, formats)
    issues = [*_non_string_keys(data, ()), *chosen.structure_issues(data)]
    if issues:
        return [], issues
    loaded: list[_Loaded] = []
    for built in chosen.build(data, file):
        model_issues = slo_issues(built.slo, built.fields)
        if model_issues:
            issues.extend(model_issues)
        else:
            loaded.append(_Loaded(built.slo, document.line_of(built.fields.file_path(("id",)))))
    return loaded, issues


def _non_string_keys(value: object, path: FieldPath) -> Iterator[FieldIssue]:
    """YAML allows ``1: x`` or ``true: x``; field names and label keys must be text.

    Walks the data as YAML composed it: no cycles, and bounded in size by the reader.
    """
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                found = describe_value(key)
                yield FieldIssue((*path, str(key)), f"expected a text field name, found {found}")
            yield from _non_string_keys(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_string_keys(item, (*path, index))


def _located(file: str, document: YamlDocument, issues: list[FieldIssue]) -> list[SpecProblem]:
    """Problems in line order, each message ending with its line; duplicates dropped."""
    lines = {issue: document.line_of(issue.path) for issue in issues}
    ordered = sorted(dict.fromkeys(issues), key=lambda i: (lines[i], format_path(i.path), i.message))
    return [SpecProblem(file, format_path(i.path), f"{i.message} (line {lines[i]})") for i in ordered]
