"""Sustained audit ingest: one transaction per record (the old writer) beside group commit.

    PYTHONPATH=. .venv/bin/python bench/bench_audit_ingest.py --seconds 5 [--backend sqlite|postgresql|both]

Each mode writes realistic records (two rules, four windows) into its own fresh SQLite file
(WAL, synchronous=FULL, so every commit is an fsync) for ``--seconds`` and prints records/s.
"baseline" is ``store.record`` in a loop, which is what the writer did before group commit;
"group commit, N producers" is ``AuditWriter.commit`` awaited by N concurrent producers, as N
evaluations in flight do (each producer waits for durability before its next record, exactly
like a caller of a fresh decision). Exits non-zero when group commit at 64 producers is not at
least ``--min-speedup`` times the baseline of the same run (a ratio, so a busy machine slows
both sides alike), or when 256 producers (a cycle with hundreds of SLOs in flight) sustain fewer
than 2,000 evaluations/s (issue 7, target 3).
PostgreSQL is a throwaway real server (tests/_postgres.py), a fresh database per mode.
``--smoke`` runs each mode for half a second and checks nothing but that it ran; results go to
bench/results/audit_ingest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
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


# Built once: parsing its windows for every record cost the producers a third of this process's
# CPU, which measured making evaluations (the engine's work), not writing them.
_TEMPLATE = _typical_evaluation()


def _record() -> Evaluation:
    return dataclasses.replace(_TEMPLATE, evaluation_id=f"{next(_ids):016x}")


@dataclasses.dataclass(frozen=True)
class _Result:
    mode: str
    records: int
    seconds: float
    commits: int
    # CPU this process spent (producers, writer, SQL driver; not PostgreSQL's own processes).
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    @property
    def per_cpu_second(self) -> float:
        """Records per CPU-second of this process: what one idle core could sustain, load aside."""
        return self.records / max(self.cpu_seconds, 1e-9)


async def _for(
    seconds: float, producers: int, write: Callable[[], Awaitable[None]]
) -> tuple[int, float, float]:
    written = 0
    deadline = time.perf_counter() + seconds

    async def producer() -> None:
        nonlocal written
        while time.perf_counter() < deadline:
            await write()
            written += 1

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(producer() for _ in range(producers)))
    return written, time.perf_counter() - started, time.process_time() - cpu


MIN_RATE = 2000.0
RESULTS = Path(__file__).resolve().parent / "results" / "audit_ingest.json"
_OpenStore = Callable[[str], SQLAuditStore]


async def _baseline(open_store: _OpenStore, seconds: float) -> _Result:
    store = open_store("baseline")
    try:
        records, elapsed, cpu = await _for(seconds, 1, lambda: store.record(_record()))
    finally:
        await store.aclose()
    return _Result("baseline: one transaction per record", records, elapsed, records, cpu)


async def _grouped(open_store: _OpenStore, seconds: float, producers: int) -> _Result:
    store = open_store(f"group{producers}")
    telemetry = Telemetry()
    writer = AuditWriter(store, telemetry)
    writer.start()
    try:
        records, elapsed, cpu = await _for(seconds, producers, lambda: writer.commit(_record()))
        await writer.stop()
    finally:
        await store.aclose()
    commits = int(telemetry.registry.get_sample_value("aegis_audit_commits_total") or 0)
    unconfirmed = telemetry.registry.get_sample_value("aegis_audit_unconfirmed_total") or 0
    if unconfirmed:
        print(f"warning: {unconfirmed:.0f} commits were not confirmed in time", file=sys.stderr)
    return _Result(f"group commit, {producers} producers", records, elapsed, commits, cpu)


async def _run(open_store: _OpenStore, seconds: float, producer_counts: tuple[int, ...]) -> list[_Result]:
    results = [await _baseline(open_store, seconds)]
    for producers in producer_counts:
        results.append(await _grouped(open_store, seconds, producers))
    return results


def _measure(backend: str, seconds: float, producer_counts: tuple[int, ...]) -> list[_Result]:
    if backend == "postgresql":
        from tests._postgres import create_database, running_postgres

        with running_postgres() as server:

            def open_postgres(name: str) -> SQLAuditStore:
                return SQLAuditStore.from_url(server.url(create_database(server, name)), schema="always")

            return asyncio.run(_run(open_postgres, seconds, producer_counts))
    with tempfile.TemporaryDirectory(prefix="aegis-ingest-") as scratch:

        def open_sqlite(name: str) -> SQLAuditStore:
            return SQLAuditStore.from_sqlite_path(Path(scratch) / f"{name}.db")

        return asyncio.run(_run(open_sqlite, seconds, producer_counts))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per mode (default 5)")
    parser.add_argument("--min-speedup", type=float, default=4.0, help="64 producers vs baseline (default 4)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--smoke", action="store_true", help="half a second per mode: it runs, not targets")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results JSON (default {RESULTS})")
    args = parser.parse_args()
    seconds, producer_counts = (0.5, (1, 64, 256)) if args.smoke else (args.seconds, (1, 8, 64, 256))
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    document: dict[str, object] = {"bench": "audit_ingest", "smoke": args.smoke, "seconds": seconds}
    failed = False
    for backend in backends:
        results = _measure(backend, seconds, producer_counts)
        print(f"== {backend} ==")
        print(
            f"{'mode':<38} {'records/s':>10} {'records':>8} {'commits':>8} {'per commit':>10} "
            f"{'per CPU-s':>10}"
        )
        for r in results:
            per_commit = r.records / max(r.commits, 1)
            print(
                f"{r.mode:<38} {r.rate:>10,.0f} {r.records:>8,} {r.commits:>8,} {per_commit:>10.1f} "
                f"{r.per_cpu_second:>10,.0f}"
            )
        at_64 = next(r for r in results if r.mode.endswith(" 64 producers"))
        at_256 = next(r for r in results if r.mode.endswith(" 256 producers"))
        speedup = at_64.rate / results[0].rate
        print(
            f"group commit: {at_256.rate:,.0f} evaluations/s at 256 producers (target {MIN_RATE:,.0f}); "
            f"{speedup:.1f}x the baseline at 64 (target {args.min_speedup:g}x)"
        )
        failed |= at_256.rate < MIN_RATE or speedup < args.min_speedup
        document[backend] = {
            "modes": [
                {**dataclasses.asdict(r), "rate": r.rate, "per_cpu_second": r.per_cpu_second} for r in results
            ],
            "rate_at_256": at_256.rate,
            "speedup_at_64": speedup,
            "targets": {"rate_at_256": MIN_RATE, "speedup_at_64": args.min_speedup},
        }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0 if args.smoke or not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
