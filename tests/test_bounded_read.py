"""read_bounded: only regular files, never more than the limit, never outside the root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aegis.bounded_read import FileRefused, describe_size, is_inside, read_bounded


def test_read_bounded_reads_a_regular_file_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)

    assert read_bounded(path, limit=10) == b"x" * 10
    with pytest.raises(FileRefused, match="refused: 10 bytes, more than the 9 bytes limit"):
        read_bounded(path, limit=9)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("/dev/zero", "a character device, not a regular file"),
        ("/dev/null", "a character device, not a regular file"),
        ("/proc/self/status", None),
        ("/", "a directory, not a regular file"),
    ],
)
def test_read_bounded_refuses_what_is_not_a_regular_file(target: str, fragment: str | None) -> None:
    if fragment is None:
        # procfs files claim a size of 0 and are regular: they are read, and the limit still holds.
        assert 0 < len(read_bounded(target, limit=1 << 20)) <= 1 << 20
        with pytest.raises(FileRefused, match="more than the 16 bytes limit"):
            read_bounded(target, limit=16)
        return
    with pytest.raises(FileRefused, match=fragment):
        read_bounded(target, limit=1 << 20)


@pytest.mark.timeout(10)
def test_read_bounded_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    with pytest.raises(FileRefused, match=r"a FIFO \(named pipe\), not a regular file"):
        read_bounded(fifo, limit=100)


def test_read_bounded_with_root_refuses_links_leading_outside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret").write_text("s3cret")
    (root / "inside").write_text("ok")
    (root / "in-link").symlink_to("inside")
    (root / "out-link").symlink_to("../secret")
    (root / "abs-link").symlink_to("/etc/passwd")

    assert read_bounded(root / "in-link", limit=10, root=root) == b"ok"
    for name in ("out-link", "abs-link"):
        with pytest.raises(FileRefused) as raised:
            read_bounded(root / name, limit=100, root=root)
        assert str(raised.value) == f"refused: a symbolic link to a file outside {root}"
    assert read_bounded(root / "out-link", limit=10) == b"s3cret", "without a root, links are followed"


def test_read_bounded_missing_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="cannot read file: No such file or directory"):
        read_bounded(tmp_path / "gone", limit=10)


def test_is_inside_and_describe_size(tmp_path: Path) -> None:
    assert is_inside(tmp_path / "a" / "b", tmp_path)
    assert not is_inside(tmp_path.parent, tmp_path)
    assert (describe_size(1 << 20), describe_size(1536)) == ("1 MiB", "1536 bytes")
