"""What a reload reuses: each file's result from the previous load, found by stamp or by content.

Reading and checking costs about 1 ms per file on the fast path (aegis.spec.yaml_fast; 5 ms on the
careful one), so a whole directory of 10,000 files takes seconds, one changed file among them a
millisecond. A file whose
stamp did not change is not even read. A file with a new stamp is read (cheap) and its text
compared by SHA-256 with what was parsed before: a Kubernetes ConfigMap update gives every file a
new inode, and ``touch`` a new mtime, without changing what most of them say. Results depend on
the formats (a load with others starts over) and on the backend names: a file whose backends all
exist stays good when backends are added or removed elsewhere, so a change of the backends file
parses again only the files it concerns.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from aegis.spec.files import FileStamp
from aegis.spec.model import SLO
from aegis.spec.problems import SpecProblem
from aegis.spec.yaml_source import YamlDocument


@dataclass(frozen=True)
class Loaded:
    """An SLO that passed every per-document check, and where its id is written."""

    slo: SLO
    id_line: int
    # Where the file writes the id: metadata.id, or slos[1].name in a Sloth file.
    id_path: str = "metadata.id"


@dataclass(frozen=True)
class FileLoad:
    """What one file gave. ``digest``: SHA-256 of its text (None when it could not be read)."""

    stamp: FileStamp | None
    digest: bytes | None
    loaded: tuple[Loaded, ...]
    problems: tuple[SpecProblem, ...]
    # The backends its SLOs name, and the backends configured when it was checked (None: any).
    backends_named: frozenset[str] = field(default_factory=frozenset)
    checked_with: frozenset[str] | None = None
    # Documents that name an object of another file (an OpenSLO indicatorRef): not in ``loaded``
    # or ``problems``, but resolved at every load against ``shared``, the documents every file
    # offers the others (OpenSLO SLIs). So a changed SLI file is seen by an unchanged SLO file.
    deferred: tuple[YamlDocument, ...] = ()
    shared: tuple[Mapping[str, Any], ...] = ()

    def holds_for(self, backends: frozenset[str] | None) -> bool:
        """Whether checking the file with ``backends`` would say the same.

        A file whose backends all exist, then and now, is fine under any other names. A file naming
        an unknown one is checked again at every change of names: its message lists them.
        """
        if backends == self.checked_with:
            return True
        if backends is None or self.checked_with is None:
            return False
        return self.backends_named <= backends and self.backends_named <= self.checked_with


class LoadCache:
    def __init__(self) -> None:
        self._files: dict[str, FileLoad] = {}
        self._key: object = None
        self._backends: frozenset[str] | None = None
        # What the last load did: files parsed, and files whose previous result it reused.
        self.parsed = 0
        self.reused = 0

    def begin(self, key: object, backends: Collection[str] | None) -> None:
        """A new load with these formats (``key``: another forgets everything) and backend names."""
        if key != self._key:
            self._files.clear()
            self._key = key
        self._backends = None if backends is None else frozenset(backends)
        self.parsed = self.reused = 0

    def by_stamp(self, file: str, stamp: FileStamp | None) -> FileLoad | None:
        cached = self._files.get(file)
        if cached is None or stamp is None or cached.stamp != stamp:
            return None
        return self._reuse(cached)

    def by_content(self, file: str, digest: bytes) -> FileLoad | None:
        cached = self._files.get(file)
        if cached is None or cached.digest != digest:
            return None
        return self._reuse(cached)

    def _reuse(self, cached: FileLoad) -> FileLoad | None:
        if not cached.holds_for(self._backends):
            return None
        self.reused += 1
        return cached

    def put(self, file: str, result: FileLoad, *, parsed: bool) -> None:
        if parsed:
            self.parsed += 1
        self._files[file] = result

    def keep_only(self, files: Collection[str]) -> None:
        for gone in set(self._files) - set(files):
            del self._files[gone]
