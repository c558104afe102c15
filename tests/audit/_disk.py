"""Disks that fail for real: a tiny full filesystem, and files even root cannot write."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests._requirements import missing


@contextlib.contextmanager
def tiny_filesystem(path: Path, size: str = "8m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (root only), unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True
    )
    if result.returncode != 0:
        missing(f"cannot mount a tmpfs to fill up ({result.stderr.strip() or 'not root?'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(directory: Path) -> Path:
    """Write a file until the filesystem says it is full; delete it to make room again."""
    filler = directory / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb") as out:
        try:
            while True:
                out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except OSError:
            pass
    return filler


@contextlib.contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """chattr +i: no process, root included, may write these files until the block ends."""
    chattr = shutil.which("chattr")
    if chattr is None:
        missing("chattr is not installed (e2fsprogs)")
    existing = [str(p) for p in paths if p.exists()]
    result = subprocess.run([chattr, "+i", *existing], capture_output=True, text=True)
    if result.returncode != 0:
        missing(f"chattr +i is not supported here: {result.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", *existing], capture_output=True)
