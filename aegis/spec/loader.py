"""Loading SLO files: YAML in, SLOs and problems out, never an exception for bad content.

A directory load keeps going past bad files, so one broken SLO does not hide
the others (or the other mistakes): each document either becomes SLOs or
contributes problems, and ids must be unique across every file. Each document
goes to the format that claims it (``aegis.spec.formats``); the model it builds
is then checked once, the same way for every format.

A reload passes a ``LoadCache`` (only files whose stamp changed are read again)
and the current owner of each id (a file that holds an id keeps it, even when a
file earlier in path order starts defining it too).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from aegis.bounded_read import FileRefused
from aegis.spec.checks import backend_issues, slo_issues
from aegis.spec.files import FileStamp, Found, find_spec_files, read_spec_text, spec_files
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
    "LoadCache",
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


@dataclass(frozen=True)
class _FileLoad:
    """What one file gave: reusable for as long as the file's stamp stays the same."""

    stamp: FileStamp | None
    loaded: tuple[_Loaded, ...]
    problems: tuple[SpecProblem, ...]


class LoadCache:
    """Each file's result from the previous load, so that a reload reads only what changed.

    Reading and checking costs about 5 ms per file: a whole directory of 10,000 files takes most
    of a minute, one changed file among them a few milliseconds. A file whose stamp cannot be taken
    (a dangling link) is read every time. The results depend on the formats and the backend names,
    so a load with others starts over.
    """

    def __init__(self) -> None:
        self._files: dict[str, _FileLoad] = {}
        self._key: object = None
        # Files the last load read, and files it took from here.
        self.read = 0
        self.reused = 0

    def _begin(self, key: object) -> None:
        if key != self._key:
            self._files.clear()
            self._key = key
        self.read = self.reused = 0

    def _get(self, file: str, stamp: FileStamp | None) -> _FileLoad | None:
        cached = self._files.get(file)
        if cached is None or stamp is None or cached.stamp != stamp:
            return None
        self.reused += 1
        return cached

    def _put(self, file: str, result: _FileLoad) -> None:
        self.read += 1
        self._files[file] = result

    def _keep_only(self, files: Collection[str]) -> None:
        for gone in set(self._files) - set(files):
            del self._files[gone]


def load_file(path: str | Path, *, root: str | Path | None = None) -> LoadResult:
    """Every SLO in one file (one per YAML document), or the problems that kept them out.

    With ``root``, a file whose links lead outside ``root`` is refused unread.
    """
    loaded, problems = _load_documents(Path(path), root)
    result = _FileLoad(None, tuple(loaded), tuple(problems))
    kept, all_problems = _assign_ids([(str(path), result)], {})
    return LoadResult(slos=tuple(kept), problems=tuple(all_problems), files=(str(path),))


def load_directory(
    path: str | Path,
    formats: tuple[Format, ...] = FORMATS,
    *,
    backends: Collection[str] | None = None,
    owners: Mapping[str, str] | None = None,
    cache: LoadCache | None = None,
    found: Found | None = None,
) -> LoadResult:
    """Every SLO in the spec files under ``path`` (recursively); problems for the rest.

    When two files define the same id, the file ``owners`` names for it wins (a reload: the file
    that holds the id now), otherwise the first in path order; the other is reported, naming both
    files. With ``backends``, an SLO naming another backend is a problem. ``found`` is a scan of
    ``path`` already made (the reload's change check), ``cache`` the previous load's results.
    """
    found = found if found is not None else find_spec_files(path)
    problems = [SpecProblem(str(d), "", f"cannot read directory: {why}") for d, why in found.unreadable]
    if not found.files:
        message = "no SLO files: expected *.yaml or *.yml files in this directory or below"
        return LoadResult(problems=(*problems, SpecProblem(str(path), "", message)))
    cache = cache if cache is not None else LoadCache()
    cache._begin((formats, None if backends is None else frozenset(backends)))
    per_file: list[tuple[str, _FileLoad]] = []
    for file in found.files:
        stamp = found.stamps.get(file)
        result = cache._get(str(file), stamp)
        if result is None:
            loaded, file_problems = _load_documents(file, path, formats, backends)
            result = _FileLoad(stamp, tuple(loaded), tuple(file_problems))
            cache._put(str(file), result)
        per_file.append((str(file), result))
    cache._keep_only([file for file, _ in per_file])
    slos, id_problems = _assign_ids(per_file, owners or {})
    return LoadResult(
        slos=tuple(slos), problems=(*problems, *id_problems), files=tuple(str(f) for f in found.files)
    )


def _assign_ids(
    per_file: list[tuple[str, _FileLoad]], owners: Mapping[str, str]
) -> tuple[list[SLO], list[SpecProblem]]:
    """Each id to one definition: its owner's if the owner still defines it, else the first in path
    order. Returns the SLOs kept and every file's problems, in file order, duplicates included."""
    winners: dict[str, tuple[str, _Loaded]] = {}
    for file, result in per_file:
        for entry in result.loaded:
            if owners.get(entry.slo.id) == file:
                winners.setdefault(entry.slo.id, (file, entry))
    for file, result in per_file:
        for entry in result.loaded:
            winners.setdefault(entry.slo.id, (file, entry))
    slos: list[SLO] = []
    problems: list[SpecProblem] = []
    for file, result in per_file:
        problems.extend(result.problems)
        for entry in result.loaded:
            first_file, first = winners[entry.slo.id]
            if first is entry:
                slos.append(entry.slo)
            else:
                where = f"{first_file}:{first.id_line}"
                message = f"duplicate id {entry.slo.id!r}, already defined in {where} (line {entry.id_line})"
                problems.append(SpecProblem(file, "metadata.id", message))
    return slos, problems


def _load_documents(
    path: Path,
    root: str | Path | None,
    formats: tuple[Format, ...] = FORMATS,
    backends: Collection[str] | None = None,
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
        slos, issues = _document_slos(document, file, formats, backends)
        problems.extend(_located(file, document, issues))
        loaded.extend(slos)
    return loaded, problems


def _document_slos(
    document: YamlDocument, file: str, formats: tuple[Format, ...], backends: Collection[str] | None
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
        model_issues = [
            *slo_issues(built.slo, built.fields),
            *backend_issues(built.slo, built.fields, backends),
        ]
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
