"""Finding and reading SLO files under a directory, as v0.1.0 did: recursively, ``*.yaml`` and ``*.yml``.

Hidden files and directories are skipped: editors leave dot-files behind, and a
Kubernetes ConfigMap mount keeps its real files in ``..2024_01_01_*`` behind a
``..data`` link, with a visible link per file. Directory links are not followed
(v0.1.0's walk did not either), a file reached under two names is read once,
and a link that leads outside the directory is reported, never read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from aegis.bounded_read import FileRefused, MiB, read_bounded
from aegis.spec.problems import SpecDirectoryError

SPEC_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = MiB


# What says a file changed without reading it: device, inode, size, mtime and ctime (nanoseconds)
# of the file a name leads to. A ConfigMap update swaps the ``..data`` link, so the inode changes;
# ``cp -p`` keeps the mtime but not the ctime.
FileStamp = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class Found:
    """The spec files under a directory in load order, and subdirectories that could not be read.

    ``stamps`` has each file's FileStamp (None when it cannot be examined, e.g. a dangling link),
    so that a reload can tell changed files from unchanged ones without reading them.
    """

    files: list[Path] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    stamps: dict[Path, FileStamp | None] = field(default_factory=dict)
    # (path, stamp) of each file in order, as text: comparing scans costs no Path work.
    _stamped: list[tuple[str, FileStamp | None]] = field(default_factory=list, repr=False)

    def fingerprint(self) -> tuple[object, ...]:
        """Equal for two scans exactly when no file was added, removed, replaced or written."""
        return (tuple(self._stamped), tuple(self.unreadable))


def find_spec_files(directory: str | Path) -> Found:
    """Every ``*.yaml``/``*.yml`` file under ``directory``, ordered by path, each real file once.

    Costs one ``stat`` per file and reads none, so it is cheap enough to poll: about 0.1 s for
    10,000 files (docs/operations.md). Raises SpecDirectoryError when the directory itself is unusable.
    """
    root = Path(directory)
    if not root.exists():
        raise SpecDirectoryError(f"SLO directory not found: {root}")
    if not root.is_dir():
        raise SpecDirectoryError(f"not a directory: {root}")
    try:
        os.listdir(root)
    except OSError as err:
        raise SpecDirectoryError(f"cannot read SLO directory {root}: {err.strerror or err}") from err
    found = Found()

    def unreadable(err: OSError) -> None:
        found.unreadable.append((Path(err.filename or root), err.strerror or str(err)))

    # Sorted by path components (as v0.1.0's walk), built from strings: Path objects for 10,000
    # files cost more than the stat calls.
    candidates: list[tuple[tuple[str, ...], str]] = []
    for current, dirs, files in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        relative = os.path.relpath(current, root)
        parts = () if relative == "." else tuple(relative.split(os.sep))
        names = [name for name in files if _is_spec_name(name)]
        candidates.extend(((*parts, name), os.path.join(current, name)) for name in names)
    # A file reached under two names (a link, a hard link) is the same device and inode: read once.
    seen: set[tuple[int, int]] = set()
    for _, text in sorted(candidates):
        stamp = file_stamp(text)
        if stamp is not None:
            if stamp[:2] in seen:
                continue
            seen.add(stamp[:2])
        path = Path(text)
        found.files.append(path)
        found.stamps[path] = stamp
        found._stamped.append((text, stamp))
    found.unreadable.sort()
    return found


def file_stamp(path: str | Path) -> FileStamp | None:
    """The FileStamp of the file ``path`` leads to; None when there is none to examine."""
    try:
        info = os.stat(path)  # follows links: the stamp is the target's
    except OSError:
        return None  # reported when the loader tries to read it
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def spec_files(directory: str | Path) -> list[Path]:
    """The files ``load_directory`` reads, in the order it reads them."""
    return find_spec_files(directory).files


def _is_spec_name(name: str) -> bool:
    return name.endswith(SPEC_SUFFIXES) and not name.startswith(".")


def read_spec_text(path: Path, root: str | Path | None) -> str:
    """The UTF-8 text of one spec file (a byte-order mark is dropped); FileRefused when unusable.

    With ``root``, a file whose links lead outside it is refused unread.
    """
    data = read_bounded(path, limit=MAX_FILE_BYTES, root=root)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        found = f"byte 0x{err.object[err.start]:02x} at offset {err.start}"
        raise FileRefused(f"expected UTF-8 text, found {found}") from err
