"""Sustained audit ingest on SQLite: one transaction per record (the old writer) beside group commit.

    PYTHONPATH=. .venv/bin/python bench/bench_audit_ingest.py --seconds 5

Each mode writes realistic records (two rules, four windows) into its own fresh SQLite file
(WAL, synchronous=FULL, so every commit is an fsync) for ``--seconds`` and prints records/s.
"baseline" is ``store.record`` in a loop, which is what the writer did before group commit;
"group commit, N producers" is ``AuditWriter.commit`` awaited by N concurrent producers, as N
evaluations in flight do (each producer waits for durability before its next record, exactly
like a caller of a fresh decision). Exits non-zero when group commit at 64 producers is not at
least ``--min-speedup`` times the baseline of the same run (a ratio, so a busy machine slows
both sides alike).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench_audit import _typical_evaluation  # the sibling script (its directory is on sys.path)

from aegis.engine.model import Evaluation
from aegis.store.sql import SQLAuditStore
from aegis.store.writer import AuditWriter
from aegis.telemetry import Telemetry

_ids = itertools.count()


def _record() -> Evaluation:
    return dataclasses.replace(_typical_evaluation(), evaluation_id=f"{next(_ids):016x}")


@dataclasses.dataclass(frozen=True)
class _Result:
    mode: str
    records: int
    seconds: float
    commits: int

    @property
    def rate(self) -> float:
        return self.records / self.seconds


async def _for(seconds: float, producers: int, write: Callable[[], Awaitable[None]]) -> tuple[int, float]:
    written = 0
    deadline = time.perf_counter() + seconds

    async def producer() -> None:
        nonlocal written
        while time.perf_counter() < deadline:
            await write()
            written += 1

    started = time.perf_counter()
    await asyncio.gather(*(producer() for _ in range(producers)))
    return written, time.perf_counter() - started


async def _baseline(path: Path, seconds: float) -> _Result:
    store = SQLAuditStore.from_sqlite_path(path)
    try:
        records, elapsed = await _for(seconds, 1, lambda: store.record(_record()))
    finally:
        await store.aclose()
    return _Result("baseline: one transaction per record", records, elapsed, records)


async def _grouped(path: Path, seconds: float, producers: int) -> _Result:
    store = SQLAuditStore.from_sqlite_path(path)
    telemetry = Telemetry()
    writer = AuditWriter(store, telemetry)
    writer.start()
    try:
        records, elapsed = await _for(seconds, producers, lambda: writer.commit(_record()))
        await writer.stop()
    finally:
        await store.aclose()
    commits = int(telemetry.registry.get_sample_value("aegis_audit_commits_total") or 0)
    unconfirmed = telemetry.registry.get_sample_value("aegis_audit_unconfirmed_total") or 0
    if unconfirmed:
        print(f"warning: {unconfirmed:.0f} commits were not confirmed in time", file=sys.stderr)
    return _Result(f"group commit, {producers} producers", records, elapsed, commits)


async def _run(seconds: float) -> list[_Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="aegis-ingest-") as scratch:
        results.append(await _baseline(Path(scratch) / "baseline.db", seconds))
        for producers in (1, 8, 64, 256):
            results.append(await _grouped(Path(scratch) / f"group-{producers}.db", seconds, producers))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per mode (default 5)")
    parser.add_argument("--min-speedup", type=float, default=4.0, help="64 producers vs baseline (default 4)")
    args = parser.parse_args()
    results = asyncio.run(_run(args.seconds))
    print(f"{'mode':<38} {'records/s':>10} {'records':>8} {'commits':>8} {'per commit':>10}")
    for r in results:
        print(f"{r.mode:<38} {r.rate:>10,.0f} {r.records:>8,} {r.commits:>8,} {r.records / r.commits:>10.1f}")
    at_64 = next(r for r in results if r.mode.endswith(" 64 producers"))
    speedup = at_64.rate / results[0].rate
    print(f"group commit at 64 producers: {speedup:.1f}x the baseline (target {args.min_speedup:g}x)")
    return 0 if speedup >= args.min_speedup else 1


if __name__ == "__main__":
    raise SystemExit(main())
