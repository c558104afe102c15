"""Loading SLO files: YAML in, SLOs and problems out, never an exception for bad content.

A directory load keeps going past bad files, so one broken SLO does not hide
the others (or the other mistakes): each document either becomes SLOs or
contributes problems, and ids must be unique across every file. Each document
goes to the format that claims it (``aegis.spec.formats``); the model it builds
is then checked once, the same way for every format.

A reload passes a ``LoadCache`` (only files that changed are parsed again) and
the current owner of each id (a file that holds an id keeps it, even when a file
earlier in path order starts defining it too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aegis.bounded_read import FileRefused
from aegis.spec.checks import backend_issues, slo_issues
from aegis.spec.files import FileStamp, Found, find_spec_files, read_spec_text, spec_files
from aegis.spec.formats import FORMATS, Format, for_file, format_for, is_file_aware, unclaimed_issues
from aegis.spec.load_cache import FileLoad, LoadCache, Loaded
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
from aegis.spec.yaml_fast import read_documents
from aegis.spec.yaml_source import YamlDocument, YamlSourceError

__all__ = [
    "LoadCache",
    "LoadResult",
    "SpecDirectoryError",
    "SpecProblem",
    "load_directory",
    "load_file",
    "spec_files",
]


def load_file(path: str | Path, *, root: str | Path | None = None) -> LoadResult:
    """Every SLO in one file (one per YAML document), or the problems that kept them out.

    With ``root``, a file whose links lead outside ``root`` is refused unread.
    """
    result = _load_file(Path(path), root, FORMATS, None, LoadCache(), None)
    kept, all_problems = _assign_ids(_resolve_deferred([(str(path), result)], FORMATS, None), {})
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
    cache.begin(formats, backends)
    per_file = [
        (str(file), _load_file(file, path, formats, backends, cache, found.stamps.get(file)))
        for file in found.files
    ]
    cache.keep_only([file for file, _ in per_file])
    slos, id_problems = _assign_ids(_resolve_deferred(per_file, formats, backends), owners or {})
    return LoadResult(
        slos=tuple(slos), problems=(*problems, *id_problems), files=tuple(str(f) for f in found.files)
    )


def _assign_ids(
    per_file: list[tuple[str, FileLoad]], owners: Mapping[str, str]
) -> tuple[list[SLO], list[SpecProblem]]:
    """Each id to one definition: its owner's if the owner still defines it, else the first in path
    order. Returns the SLOs kept and every file's problems, in file order, duplicates included."""
    winners: dict[str, tuple[str, Loaded]] = {}
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
                problems.append(SpecProblem(file, entry.id_path, message))
    return slos, problems


def _load_file(
    path: Path,
    root: str | Path | None,
    formats: tuple[Format, ...],
    backends: Collection[str] | None,
    cache: LoadCache,
    stamp: FileStamp | None,
) -> FileLoad:
    """One file's SLOs and problems: from the cache when its stamp or its text is unchanged."""
    file = str(path)
    cached = cache.by_stamp(file, stamp)
    if cached is not None:
        return cached
    try:
        text = read_spec_text(path, root)
    except FileRefused as err:
        result = FileLoad(stamp, None, (), (SpecProblem(file, "", shorten(str(err), 300)),))
        cache.put(file, result, parsed=True)
        return result
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    same = cache.by_content(file, digest)
    if same is not None:
        result = replace(same, stamp=stamp)
        cache.put(file, result, parsed=False)
        return result
    parsed = _parse(text, file, formats, backends)
    checked_with = None if backends is None else frozenset(backends)
    result = FileLoad(
        stamp,
        digest,
        tuple(parsed.loaded),
        tuple(parsed.problems),
        frozenset(parsed.named),
        checked_with,
        tuple(parsed.deferred),
        tuple(parsed.shared),
    )
    cache.put(file, result, parsed=True)
    return result


@dataclass
class _Parsed:
    """One file's SLOs and problems, the backends its SLOs name (whether they load or not), and
    its documents that wait for the directory (``FileLoad.deferred``, ``FileLoad.shared``)."""

    loaded: list[Loaded] = field(default_factory=list)
    problems: list[SpecProblem] = field(default_factory=list)
    named: set[str] = field(default_factory=set)
    deferred: list[YamlDocument] = field(default_factory=list)
    shared: list[Mapping[str, Any]] = field(default_factory=list)


def _parse(text: str, file: str, formats: tuple[Format, ...], backends: Collection[str] | None) -> _Parsed:
    parsed = _Parsed()
    try:
        documents = [d for d in read_documents(text) if d.data is not None]
    except YamlSourceError as err:
        parsed.problems.append(SpecProblem(file, "", shorten(str(err), 300)))
        return parsed
    if not documents:
        parsed.problems.append(SpecProblem(file, "", "file is empty: expected at least one SLO document"))
        return parsed
    file_formats = for_file(formats, [document.data for document in documents])
    for document in documents:
        data = document.data
        bound = format_for(data, file_formats) if isinstance(data, Mapping) else None
        if isinstance(data, Mapping) and is_file_aware(bound):
            if bound.shares(data):
                parsed.shared.append(data)
            if bound.defers(data):
                parsed.deferred.append(document)
                continue
        slos, issues = _document_slos(document, file, file_formats, backends, parsed.named)
        parsed.problems.extend(_located(file, document, issues))
        parsed.loaded.extend(slos)
    return parsed


def _resolve_deferred(
    per_file: list[tuple[str, FileLoad]], formats: tuple[Format, ...], backends: Collection[str] | None
) -> list[tuple[str, FileLoad]]:
    """Each file's result with its deferred documents built against what every file shares.

    Runs at every load, cached files included: the SLI an SLO names may have changed elsewhere.
    """
    if not any(result.deferred for _, result in per_file):
        return per_file
    directory_formats = for_file(formats, [data for _, result in per_file for data in result.shared])
    resolved: list[tuple[str, FileLoad]] = []
    for file, result in per_file:
        loaded, problems = list(result.loaded), list(result.problems)
        for document in result.deferred:
            slos, issues = _document_slos(document, file, directory_formats, backends, set())
            problems.extend(_located(file, document, issues))
            loaded.extend(slos)
        resolved.append((file, replace(result, loaded=tuple(loaded), problems=tuple(problems))))
    return resolved


def _document_slos(
    document: YamlDocument,
    file: str,
    formats: tuple[Format, ...],
    backends: Collection[str] | None,
    named: set[str],
) -> tuple[list[Loaded], list[FieldIssue]]:
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
    loaded: list[Loaded] = []
    for built in chosen.build(data, file):
        named.add(built.slo.sli.backend)
        model_issues = [
            *slo_issues(built.slo, built.fields),
            *backend_issues(built.slo, built.fields, backends),
        ]
        if model_issues:
            issues.extend(model_issues)
        else:
            id_path = built.fields.file_path(("id",))
            loaded.append(Loaded(built.slo, document.line_of(id_path), format_path(id_path)))
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
