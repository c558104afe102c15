"""What the versioned schema costs: a fresh upgrade, the check at every start, a v0.1.0 import.

    PYTHONPATH=. .venv/bin/python bench/bench_migrations.py --rows 100000

The v0.1.0 database is written as v0.1.0 writes one (tests/store/_v010.py), then
upgraded once (the import) and again (a restart with nothing new). Wall time is what
an operator waits; CPU time says what the import costs on an idle machine. Exits 1
when a target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _results  # the sibling module (its directory is on sys.path)

from aegis.store import database, migrate
from tests.store._v010 import ROWS, create_v010_database

T = TypeVar("T")
# Targets: the check at start stays invisible; a year of one SLO every 30 s
# (about a million rows) imports within ten minutes of CPU.
AT_HEAD_MS = 250.0
IMPORT_ROWS_PER_CPU_SECOND = 2_000.0


def _timed(action: Callable[[], T]) -> tuple[float, float, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _upgrade(path: Path) -> migrate.UpgradeResult:
    engine = database.create(database.target_url(str(path)))
    try:
        return migrate.upgrade(engine)
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="v0.1.0 rows to import")
    _results.add_arguments(parser, "migrations", "1,000 rows, two runs each")
    args = parser.parse_args()
    runs = 2 if args.smoke else 7
    if args.smoke:
        args.rows = 1_000
    failures = []
    with tempfile.TemporaryDirectory(prefix="aegis-bench-migrations-") as tmp:
        root = Path(tmp)
        fresh = [_timed(lambda i=i: _upgrade(root / f"fresh{i}.db"))[0] * 1000 for i in range(runs)]
        at_head = [_timed(lambda: _upgrade(root / "fresh0.db"))[0] * 1000 for _ in range(runs)]
        print(f"empty SQLite file -> head        median {statistics.median(fresh):7.1f} ms")
        print(f"already at head (every start)    median {statistics.median(at_head):7.1f} ms")
        if statistics.median(at_head) > AT_HEAD_MS:
            failures.append(f"start-up check over {AT_HEAD_MS} ms")

        legacy = root / "v010.db"
        create_v010_database(legacy, ROWS * (args.rows // len(ROWS)))
        wall, cpu, result = _timed(lambda: _upgrade(legacy))
        imported = result.v010.imported
        print(
            f"v0.1.0 import of {imported:,} rows   {wall:7.1f} s wall ({imported / wall:,.0f} rows/s), "
            f"{cpu:.1f} s CPU ({imported / cpu:,.0f} rows/s)"
        )
        if imported / cpu < IMPORT_ROWS_PER_CPU_SECOND:
            failures.append(f"import under {IMPORT_ROWS_PER_CPU_SECOND:,.0f} rows per CPU second")
        wall, _, result = _timed(lambda: _upgrade(legacy))
        print(f"restart, nothing new to import   {wall * 1000:7.1f} ms ({result.v010.imported} rows)")
        figures = {
            "fresh_ms": statistics.median(fresh),
            "at_head_ms": statistics.median(at_head),
            "import_rows": imported,
            "import_rows_per_cpu_second": imported / cpu,
            "failures": failures,
        }
    for failure in failures:
        print(f"MISSED: {failure}")
    _results.write(args.output, "migrations", args.smoke, figures)
    return 1 if failures and not args.smoke else 0


if __name__ == "__main__":
    raise SystemExit(main())
