"""What a reload puts in force: the new load, except that a file that stopped loading keeps its SLOs.

The rules (docs/operations.md#hot-reload), decided once here:

- A file that loads cleanly defines exactly its SLOs: added, changed and removed ones follow it.
- A file with problems (invalid YAML, a bad field, unreadable, an unknown backend) keeps the last
  good version of every SLO it defined before and does not define validly now; each such entry
  carries the file's problems as its ``load_error``. Its valid documents still take effect.
- A file that is removed takes its SLOs with it, whether it was valid or not.
- An id belongs to the file that holds it: when another file defines the same id, that file is
  the duplicate, even if it comes first in path order (the loader does this among valid files;
  here a kept last good version holds its id the same way).
- Files under a subdirectory that cannot be read count as files with problems.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aegis.scheduler.catalog import CatalogEntry
from aegis.spec.loader import LoadResult
from aegis.spec.problems import SpecProblem, shorten

_LISTED_PROBLEMS = 5
_LOAD_ERROR_LIMIT = 2000


@dataclass(frozen=True)
class Merged:
    entries: tuple[CatalogEntry, ...]
    problems: tuple[SpecProblem, ...]
    # Ids now running their last good version.
    kept: tuple[str, ...]


def keep_last_good(
    previous: Mapping[str, CatalogEntry], result: LoadResult, unreadable: Sequence[Path] = ()
) -> Merged:
    """The entries and problems to apply, given what is in force and what the files say now."""
    by_file: dict[str, list[SpecProblem]] = {}
    for problem in result.problems:
        by_file.setdefault(problem.file, []).append(problem)
    loaded = {slo.id: slo for slo in result.slos}
    kept: dict[str, CatalogEntry] = {}
    for slo_id, entry in previous.items():
        file = entry.slo.source_file
        new = loaded.get(slo_id)
        if new is not None and new.source_file == file:
            continue  # its own file still defines it validly
        why = _why_not_loading(file, by_file, unreadable)
        if why is not None:
            kept[slo_id] = CatalogEntry(entry.slo, load_error=why)
    problems = list(result.problems)
    entries = list(kept.values())
    for slo in result.slos:
        holder = kept.get(slo.id)
        if holder is None:
            entries.append(CatalogEntry(slo))
            continue
        message = (
            f"duplicate id {slo.id!r}, already defined in {holder.slo.source_file}, whose last good "
            "version stays in force while that file has problems"
        )
        problems.append(SpecProblem(slo.source_file, "metadata.id", message))
    return Merged(tuple(entries), tuple(problems), tuple(sorted(kept)))


def _why_not_loading(
    file: str, by_file: Mapping[str, list[SpecProblem]], unreadable: Sequence[Path]
) -> str | None:
    """The load error of an SLO whose ``file`` no longer defines it; None when it is really gone."""
    problems = by_file.get(file)
    if problems:
        listed = "; ".join(str(p) for p in problems[:_LISTED_PROBLEMS])
        more = len(problems) - _LISTED_PROBLEMS
        if more > 0:
            listed += f"; and {more} more"
        return shorten(listed, _LOAD_ERROR_LIMIT)
    path = Path(file)
    for directory in unreadable:
        if path.is_relative_to(directory):
            return f"cannot read directory {directory}"
    return None
