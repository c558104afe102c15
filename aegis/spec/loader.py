"""Loading SLO files: YAML in, SLOs and problems out, never an exception for bad content.

A directory load keeps going past bad files, so one broken SLO does not hide
the others (or the other mistakes): each document either becomes an SLO or
contributes problems, and ids must be unique across every file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aegis.spec.build import build_slo
from aegis.spec.model import SLO
from aegis.spec.problems import (
    FieldIssue,
    LoadResult,
    SpecDirectoryError,
    SpecProblem,
    describe_value,
    format_path,
)
from aegis.spec.schema import schema_issues
from aegis.spec.semantics import semantic_issues
from aegis.spec.yaml_source import YamlDocument, YamlSourceError, parse_documents

__all__ = [
    "LoadResult",
    "SpecDirectoryError",
    "SpecProblem",
    "load_directory",
    "load_file",
    "spec_files",
]

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class _Loaded:
    """An SLO that passed every per-document check, and where its id is written."""

    slo: SLO
    id_line: int


def spec_files(directory: str | Path) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files directly in ``directory``, sorted by name.

    Hidden files are skipped (editors and Kubernetes ConfigMap mounts leave
    dot-entries behind); subdirectories are not searched. Raises
    SpecDirectoryError when the directory is unusable.
    """
    root = Path(directory)
    if not root.exists():
        raise SpecDirectoryError(f"SLO directory not found: {root}")
    if not root.is_dir():
        raise SpecDirectoryError(f"not a directory: {root}")
    try:
        entries = list(root.iterdir())
    except OSError as err:
        raise SpecDirectoryError(f"cannot read SLO directory {root}: {err.strerror or err}") from err
    return sorted(
        (p for p in entries if p.suffix in SPEC_SUFFIXES and not p.name.startswith(".") and _is_file_like(p)),
        key=lambda p: p.name,
    )


def _is_file_like(path: Path) -> bool:
    """Files, and symlinks even when dangling: a broken link is reported, not skipped."""
    return path.is_file() or path.is_symlink()


def load_file(path: str | Path) -> LoadResult:
    """Every SLO in one file (one per YAML document), or the problems that kept them out."""
    loaded, problems = _load_documents(str(path))
    kept = _unique_ids(str(path), loaded, {}, problems)
    return LoadResult(slos=tuple(kept), problems=tuple(problems))


def load_directory(path: str | Path) -> LoadResult:
    """Every SLO in the directory's spec files; problems for the rest.

    When two files define the same id, the first in name order wins and the
    second is reported, naming both files.
    """
    files = spec_files(path)
    if not files:
        problem = SpecProblem(str(path), "", "no SLO files: expected *.yaml or *.yml files in this directory")
        return LoadResult(problems=(problem,))
    first_by_id: dict[str, str] = {}
    slos: list[SLO] = []
    problems: list[SpecProblem] = []
    for file in files:
        loaded, file_problems = _load_documents(str(file))
        problems.extend(file_problems)
        slos.extend(_unique_ids(str(file), loaded, first_by_id, problems))
    return LoadResult(slos=tuple(slos), problems=tuple(problems))


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


def _load_documents(file: str) -> tuple[list[_Loaded], list[SpecProblem]]:
    try:
        text = Path(file).read_bytes().decode("utf-8-sig")
    except OSError as err:
        return [], [SpecProblem(file, "", f"cannot read file: {err.strerror or err}")]
    except UnicodeDecodeError as err:
        found = f"byte 0x{err.object[err.start]:02x} at offset {err.start}"
        return [], [SpecProblem(file, "", f"expected UTF-8 text, found {found}")]
    try:
        documents = [d for d in parse_documents(text) if d.data is not None]
    except YamlSourceError as err:
        return [], [SpecProblem(file, "", str(err))]
    if not documents:
        return [], [SpecProblem(file, "", "file is empty: expected at least one SLO document")]
    loaded: list[_Loaded] = []
    problems: list[SpecProblem] = []
    for document in documents:
        issues = _document_issues(document.data)
        if issues:
            problems.extend(_located(file, document, issues))
        else:
            assert isinstance(document.data, dict)  # Guaranteed by the schema's "type": "object".
            slo = build_slo(document.data, source_file=file)
            loaded.append(_Loaded(slo, document.line_of(("metadata", "id"))))
    return loaded, problems


def _document_issues(data: object) -> list[FieldIssue]:
    if not isinstance(data, dict):
        return [
            FieldIssue(
                (),
                f"expected a mapping with apiVersion, kind, metadata and spec, found {describe_value(data)}",
            )
        ]
    return schema_issues(data) + semantic_issues(data)


def _located(file: str, document: YamlDocument, issues: list[FieldIssue]) -> list[SpecProblem]:
    """Problems in line order, each message ending with its line; duplicates dropped."""
    lines = {issue: document.line_of(issue.path) for issue in issues}
    ordered = sorted(dict.fromkeys(issues), key=lambda i: (lines[i], format_path(i.path), i.message))
    return [SpecProblem(file, format_path(i.path), f"{i.message} (line {lines[i]})") for i in ordered]
