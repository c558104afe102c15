"""What each hostile SLO or fixture file costs to refuse: time and peak Python memory.

Issue 6 found files that took 77 s and 5.4 GB (an 899-byte alias bomb), 56 s and
1.3 GB (25 MB of YAML), or never finished (a FIFO, /dev/zero). Each case here is
loaded alone beside one good SLO, the way the server and 'aegis validate' load a
directory; the target is well under a second and a few MB per file. A miss exits 1.

    PYTHONPATH=. .venv/bin/python bench/bench_hostile_files.py
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import _results  # the sibling module (its directory is on sys.path)

from aegis.metrics.synthetic import load_fixtures
from aegis.spec.loader import load_directory

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "fixtures" / "slo" / "valid" / "api-availability.yaml"
TARGET_SECONDS = 0.5
TARGET_PEAK_MB = 20.0
README = GOOD.read_text()


def _bomb() -> str:
    anchors = ['a0: &a0 "lol"'] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(anchors) + "\n" + README.replace("  owner: platform-team\n", "  name: *a9\n")


def _text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(content)


def _sparse(path: Path) -> None:
    with path.open("wb") as file:
        file.truncate(25 * 1024 * 1024)


SLO_CASES: dict[str, Callable[[Path], None]] = {
    "alias bomb (899 bytes)": _text(_bomb()),
    "10,000-link alias chain": _text(
        "a0: &a0 x\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 10**4))
    ),
    "threshold of 5,000 digits": _text(README.replace("threshold: 14.0", "threshold: 1" + "4" * 4999)),
    "1 MiB of 10,000+ values": _text("".join(f"k{i}: {i}\n" for i in range(90_000))[: 1 << 20]),
    "25 MB file (sparse)": _sparse,
    "link to /dev/zero": lambda path: path.symlink_to("/dev/zero"),
    "link to /etc/passwd": lambda path: path.symlink_to("/etc/passwd"),
    "FIFO": lambda path: os.mkfifo(path),
    "evaluationInterval: 3551w": _text(README.replace("evaluationInterval: 5m", "evaluationInterval: 3551w")),
}
FIXTURE_CASES: dict[str, Callable[[Path], None]] = {
    "fixture nested 100,000 deep": _text("[" * 100_000 + "]" * 100_000),
    "fixture integer of 5,000 digits": _text('{"windows": {"5m": {"good": ' + "9" * 5000 + ', "total": 1}}}'),
    "fixture FIFO": lambda path: os.mkfifo(path),
}


def _measure(load: Callable[[], int]) -> tuple[float, float, int]:
    """Best of three wall times (tracemalloc off), then peak traced memory on a fourth run."""
    seconds = []
    for _ in range(3):
        started = time.perf_counter()
        problems = load()
        seconds.append(time.perf_counter() - started)
    tracemalloc.start()
    load()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return min(seconds), peak, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _results.add_arguments(parser, "hostile_files", "the same cases (they take seconds)")
    args = parser.parse_args()
    quiet = logging.getLogger("bench.hostile")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    rows: list[tuple[str, float, float, int]] = []
    with tempfile.TemporaryDirectory(prefix="aegis-hostile-") as scratch:
        for index, (name, plant) in enumerate(SLO_CASES.items()):
            directory = Path(scratch) / f"slo-{index}"
            directory.mkdir()
            shutil.copy(GOOD, directory)
            plant(directory / "hostile.yaml")
            rows.append((name, *_measure(lambda d=directory: len(load_directory(d).problems))))
        for index, (name, plant) in enumerate(FIXTURE_CASES.items()):
            directory = Path(scratch) / f"fixtures-{index}"
            directory.mkdir()
            plant(directory / "hostile.json")
            rows.append((name, *_measure(lambda d=directory: len(load_fixtures(d, quiet)[1]))))
    failed = False
    print(f"{'case':<34}{'seconds':>9}{'peak MB':>9}  problems  (target: <= {TARGET_SECONDS} s, ", end="")
    print(f"<= {TARGET_PEAK_MB} MB, 1 problem)")
    for name, seconds, peak, problems in rows:
        ok = seconds <= TARGET_SECONDS and peak <= TARGET_PEAK_MB and problems == 1
        failed |= not ok
        print(f"{name:<34}{seconds:>9.3f}{peak:>9.1f}  {problems:>8}  {'ok' if ok else 'MISSED'}")
    cases = [{"case": n, "seconds": s, "peak_mb": m, "problems": c} for n, s, m, c in rows]
    targets = {"seconds": TARGET_SECONDS, "peak_mb": TARGET_PEAK_MB}
    _results.write(args.output, "hostile_files", args.smoke, {"cases": cases, "targets": targets})
    return 1 if failed and not args.smoke else 0


if __name__ == "__main__":
    raise SystemExit(main())
