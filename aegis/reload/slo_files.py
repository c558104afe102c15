"""The SLO directory as a reloadable source: scanned by ``stat``, read again only where it changed.

A reload reads the directory in a worker thread (parsing is CPU work; the event loop keeps
serving decisions meanwhile), then applies the result to the catalog in one step on the loop:
readers see the old set or the new one, never half of each. What a file that turned invalid, a
removed file, a duplicate id or a vanished directory do is decided in ``last_good``; here they
are logged (new problems once, not at every poll) and counted.

A directory that vanishes, cannot be read or holds no SLO file any more keeps the whole catalog
as it is (a ConfigMap being remounted, a volume that came loose): serving the SLOs loaded before
is safer than serving none. Each entry says why on ``GET /v1/slo/{id}``, and ``/readyz`` lists it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from aegis.reload.last_good import keep_last_good
from aegis.reload.reloader import Offload, ReloadResult
from aegis.scheduler.catalog import CatalogChange, CatalogEntry, SLOCatalog
from aegis.spec.files import Found, find_spec_files
from aegis.spec.loader import LoadCache, LoadResult, SpecDirectoryError, load_directory
from aegis.spec.problems import SpecProblem
from aegis.telemetry import Telemetry


@dataclass(frozen=True)
class _Scan:
    """One read of the directory: what it gave, and the fingerprint it was taken at."""

    fingerprint: object
    result: LoadResult | None = None
    unreadable: tuple[Path, ...] = ()
    # Why nothing could be loaded (the directory is gone, unreadable or empty).
    unusable: str | None = None


class SLOFiles:
    name = "slo_files"
    requires = ("backends",)
    # Its problems are the catalog's (listed by /readyz as SLO file problems).
    problem = None

    def __init__(
        self,
        directory: str,
        catalog: SLOCatalog,
        *,
        backends: Callable[[], Collection[str]] | None = None,
        telemetry: Telemetry | None = None,
        logger: logging.Logger | None = None,
        offload: Offload = asyncio.to_thread,
    ) -> None:
        self.directory = directory
        self.catalog = catalog
        self._backends = backends
        self._telemetry = telemetry or Telemetry()
        self._logger = logger or logging.getLogger(__name__)
        self._offload = offload
        self.cache = LoadCache()
        self._applied: object = None
        self._telemetry.watch_slo_load_errors(lambda: len({p.file for p in self.catalog.problems}))
        self._telemetry.watch_slos_on_last_good(
            lambda: sum(1 for e in self.catalog.entries.values() if e.load_error is not None)
        )

    def load_initial(self) -> LoadResult:
        """The first load, at start; SpecDirectoryError when the directory cannot be used at all."""
        found = find_spec_files(self.directory)
        result = self._read(found)
        self._applied = found.fingerprint()
        self.catalog.apply([CatalogEntry(slo) for slo in result.slos], result.problems)
        for problem in result.problems:
            self._logger.error("SLO file problem: %s", problem)
        self._logger.info("loaded %d SLO(s) from %s", len(result.slos), self.directory)
        return result

    async def changed(self) -> bool:
        return await self._offload(self._fingerprint) != self._applied

    async def reload(self) -> ReloadResult:
        scan = await self._offload(self._scan)
        self._applied = scan.fingerprint
        if scan.result is None:
            return self._keep_everything(scan.unusable or "unusable")
        before = self.catalog.entries, self.catalog.problems
        merged = keep_last_good(before[0], scan.result, scan.unreadable)
        change = self.catalog.apply(merged.entries, merged.problems)
        self._report(change, before, merged.kept)
        return "changed" if change else "unchanged"

    def _fingerprint(self) -> object:
        try:
            return find_spec_files(self.directory).fingerprint()
        except SpecDirectoryError as err:
            return ("unusable", str(err))

    def _scan(self) -> _Scan:
        try:
            found = find_spec_files(self.directory)
        except SpecDirectoryError as err:
            return _Scan(("unusable", str(err)), unusable=str(err))
        fingerprint = found.fingerprint()
        if not found.files:
            return _Scan(fingerprint, unusable=f"no SLO files under {self.directory}")
        return _Scan(fingerprint, self._read(found), tuple(d for d, _ in found.unreadable))

    def _read(self, found: Found) -> LoadResult:
        owners = {slo_id: entry.slo.source_file for slo_id, entry in self.catalog.entries.items()}
        return load_directory(
            self.directory,
            backends=self._backends() if self._backends is not None else None,
            owners=owners,
            cache=self.cache,
            found=found,
        )

    def _keep_everything(self, why: str) -> ReloadResult:
        entries = self.catalog.entries.values()
        note = f"{why}; serving the {len(entries)} SLO(s) loaded before"
        problem = SpecProblem(self.directory, "", note)
        if self.catalog.problems != (problem,):
            self._logger.error("SLO reload: %s", note)
        kept = [CatalogEntry(e.slo, load_error=f"{why}; this is the version loaded before") for e in entries]
        self.catalog.apply(kept, [problem])
        return "failed"

    def _report(
        self,
        change: CatalogChange,
        before: tuple[Mapping[str, CatalogEntry], tuple[SpecProblem, ...]],
        kept: tuple[str, ...],
    ) -> None:
        """New problems and newly kept SLOs once (not at each reload they last through), then a summary."""
        entries, problems = before
        for problem in (p for p in self.catalog.problems if p not in problems):
            self._logger.error("SLO file problem: %s", problem)
        for slo_id in kept:
            previous = entries.get(slo_id)
            if previous is not None and previous.load_error is None:
                self._logger.warning(
                    "SLO %s: %s no longer loads; its last good version stays in force",
                    slo_id,
                    previous.slo.source_file,
                )
        resolved = sum(1 for p in problems if p not in self.catalog.problems)
        if change or resolved:
            self._logger.info(
                "SLO reload from %s: %s; %d SLO(s), %d on their last good version, %d problem(s), "
                "%d resolved",
                self.directory,
                _describe(change),
                len(self.catalog),
                len(kept),
                len(self.catalog.problems),
                resolved,
            )


def _describe(change: CatalogChange) -> str:
    if not change:
        return "no SLO changed"
    parts = []
    for what, ids in (("added", change.added), ("changed", change.changed), ("removed", change.removed)):
        if ids:
            shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
            parts.append(f"{what} {shown}")
    return "; ".join(parts)
