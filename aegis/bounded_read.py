"""Reading a configuration file that someone else may have planted: bounded, regular files only.

SLO files and synthetic fixtures come from directories an operator points the
server at, and Kubernetes mounts fill those with symbolic links. A link to
``/dev/zero`` must not read until memory runs out, a FIFO must not hang start-up,
a link to ``/etc/passwd`` must not be read (and quoted) at all, and a 25 MB file
must be refused after reading one byte more than the limit. Messages say what
was refused and why, never what the file contains.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MiB = 1 << 20

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}
# O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOFOLLOW: the path is
# already resolved, so a link appearing now is a race and is refused.
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
)


class FileRefused(Exception):
    """A file that was not read, or not fully; the message is a short reason for a person."""


def describe_size(size: int) -> str:
    """``1048576`` -> ``'1 MiB'``; ``1536`` -> ``'1536 bytes'``."""
    return f"{size // MiB} MiB" if size % MiB == 0 else f"{size} bytes"


def is_inside(path: str | Path, root: str | Path) -> bool:
    """Whether ``path`` (resolved) lies within ``root`` (resolved); both follow every link."""
    target, base = os.path.realpath(path), os.path.realpath(root)
    return os.path.commonpath([target, base]) == base


def read_bounded(path: str | Path, *, limit: int, root: str | Path | None = None) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    With ``root``, a path whose links lead outside ``root`` is refused before
    anything is opened. Raises FileRefused for anything else than a readable
    regular file within the limit.
    """
    resolved = os.path.realpath(path)
    if root is not None and not is_inside(resolved, root):
        raise FileRefused(f"refused: a symbolic link to a file outside {root}")
    try:
        fd = os.open(resolved, _OPEN_FLAGS)
    except OSError as err:
        raise FileRefused(f"cannot read file: {err.strerror or err}") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise FileRefused(f"refused: {kind}, not a regular file")
        if info.st_size > limit:
            raise FileRefused(f"refused: {info.st_size} bytes, more than the {describe_size(limit)} limit")
        data = _read_at_most(fd, limit + 1)
    except OSError as err:
        raise FileRefused(f"cannot read file: {err.strerror or err}") from err
    finally:
        os.close(fd)
    if len(data) > limit:
        # The file grew after fstat, or reports a size it does not have (/proc files).
        raise FileRefused(f"refused: more than the {describe_size(limit)} limit")
    return data


def _read_at_most(fd: int, count: int) -> bytes:
    chunks: list[bytes] = []
    remaining = count
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
