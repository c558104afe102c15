"""The set of SLOs the server evaluates and serves, replaced as a whole when files change.

Readers take an immutable snapshot, so a reload never blocks or tears a decision being served:
whoever read the old snapshot finishes on it. ``apply`` swaps in a new set and tells subscribers
(the scheduler) what was added, changed and removed, so only those loops restart.

An entry may carry a ``load_error``: its file turned invalid, and the entry is the last good
version, still evaluated, with the problem shown beside it (``GET /v1/slo/{id}``, ``/readyz``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from aegis.spec.model import SLO
from aegis.spec.problems import SpecProblem


@dataclass(frozen=True)
class CatalogEntry:
    slo: SLO
    # Why the file behind this SLO no longer loads; the SLO is its last good version. None: clean.
    load_error: str | None = None


@dataclass(frozen=True)
class CatalogChange:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


Subscriber = Callable[[CatalogChange], None]


class SLOCatalog:
    """Current SLOs by id, plus the file problems of the last load."""

    def __init__(
        self,
        slos: Iterable[SLO] = (),
        problems: Sequence[SpecProblem] = (),
        *,
        logger: logging.Logger | None = None,
    ) -> None:
        self._entries: Mapping[str, CatalogEntry] = MappingProxyType({s.id: CatalogEntry(s) for s in slos})
        self._problems: tuple[SpecProblem, ...] = tuple(problems)
        self._subscribers: list[Subscriber] = []
        self._logger = logger or logging.getLogger(__name__)

    @property
    def entries(self) -> Mapping[str, CatalogEntry]:
        """An immutable snapshot: safe to iterate while a reload happens."""
        return self._entries

    @property
    def slos(self) -> dict[str, SLO]:
        return {slo_id: entry.slo for slo_id, entry in self._entries.items()}

    @property
    def problems(self) -> tuple[SpecProblem, ...]:
        return self._problems

    def get(self, slo_id: str) -> SLO | None:
        entry = self._entries.get(slo_id)
        return entry.slo if entry is not None else None

    def entry(self, slo_id: str) -> CatalogEntry | None:
        return self._entries.get(slo_id)

    def __contains__(self, slo_id: object) -> bool:
        return slo_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def apply(
        self,
        entries: Iterable[CatalogEntry],
        problems: Sequence[SpecProblem] = (),
    ) -> CatalogChange:
        """Replace the whole set; subscribers hear what changed (nothing, when nothing did)."""
        new = {entry.slo.id: entry for entry in entries}
        old = self._entries
        change = CatalogChange(
            added=tuple(sorted(set(new) - set(old))),
            changed=tuple(sorted(i for i in set(new) & set(old) if new[i].slo != old[i].slo)),
            removed=tuple(sorted(set(old) - set(new))),
        )
        self._entries = MappingProxyType(new)
        self._problems = tuple(problems)
        if change:
            for subscriber in self._subscribers:
                try:
                    subscriber(change)
                except Exception:
                    self._logger.exception("a catalog subscriber failed on %s", change)
        return change
