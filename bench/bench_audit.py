"""How the audit store's queries scale: seed N rows into SQLite and PostgreSQL, time the API's queries.

Not a test: `make bench` runs it at 1,000,000 rows (`--smoke`: 2,000 rows, from `make test`).

    PYTHONPATH=. .venv/bin/python bench/bench_audit.py --rows 1000000 [--backend sqlite|postgresql|both]

PostgreSQL is a throwaway real server (tests/_postgres.py). Target (issue 7, target 3): every
filtered query, with its ``total``, at p99 <= 20 ms; the unfiltered ones are reported beside them.
Results go to bench/results/audit.json.

Seeding uses one multi-row INSERT per batch (the per-record path fsyncs every
row and would take hours for a million). Queries go through SQLAuditStore.query,
so the figures include decoding rows into Evaluations and counting every match
(`total`). Each query prints the plan (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN),
which shows the index it walks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from aegis.engine.model import Evaluation, RuleOutcome, SLIResult, WindowBurn
from aegis.spec.durations import Window
from aegis.spec.model import Decision
from aegis.store._codec import evaluation_to_row
from aegis.store._paging import Cursor, encode_page_token, filter_fingerprint
from aegis.store._query import count_statement
from aegis.store._schema import evaluations
from aegis.store.base import AuditQuery
from aegis.store.sql import SQLAuditStore

START = datetime(2024, 1, 1, tzinfo=UTC)
TICK = timedelta(seconds=30)
SERVICES = [f"service-{i:02d}" for i in range(10)]
ENVIRONMENTS = ["production", "staging", "canary"]
SLOS_PER_SERVICE_ENV = 2  # 10 x 3 x 2 = 60 SLOs, all evaluated every tick


RESULTS = Path(__file__).resolve().parent / "results" / "audit.json"
TARGET_P99_MS = 20.0


def main() -> int:
    args = _parse_args()
    if args.smoke:
        args.rows, args.repeat = 2_000, 3
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    document: dict[str, Any] = {
        "bench": "audit",
        "smoke": args.smoke,
        "rows": args.rows,
        "repeat": args.repeat,
        "target_p99_ms": TARGET_P99_MS,
        "backends": {},
    }
    for backend in backends:
        print(f"== {backend}, {args.rows:,} rows ==", flush=True)
        with _store(backend, args) as (store, seeded, cpu):
            if seeded:
                started = time.perf_counter()
                _seed(store, args.rows, args.batch)
                seconds = time.perf_counter() - started
                print(f"seeded {args.rows:,} rows in {seconds:.1f} s ({args.rows / seconds:,.0f} rows/s)")
                _analyze(store)
            results = asyncio.run(_time_all(store, args.rows, args.repeat, cpu))
        _print_table(results)
        document["backends"][backend] = [dataclasses.asdict(r) for r in results]
    missed = [
        f"{backend}: {r['name']}"
        for backend, rows in document["backends"].items()
        for r in rows
        if r["filtered"] and r["p99_ms"] > TARGET_P99_MS
    ]
    document["missed"] = missed
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.output}")
    if missed:
        print(f"filtered queries over p99 {TARGET_P99_MS:g} ms: {', '.join(missed)}")
    return 0 if args.smoke or not missed else 1


@contextlib.contextmanager
def _store(backend: str, args: argparse.Namespace) -> Iterator[tuple[SQLAuditStore, bool, _Clock]]:
    """A store to time, whether it needs seeding, and a clock of the CPU its queries use (this
    process, plus the PostgreSQL server's processes): a SQLite file, or a throwaway PostgreSQL."""
    if backend == "postgresql":
        from tests._postgres import create_database, running_postgres

        with running_postgres() as server:
            store = SQLAuditStore.from_url(server.url(create_database(server, "bench")), schema="always")
            postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
            yield store, True, lambda: time.process_time() + _children_cpu(postmaster)
        return
    with tempfile.TemporaryDirectory(prefix="aegis-bench-") as scratch:
        path = Path(args.db) if args.db else Path(scratch) / "audit.db"
        if path.exists() != args.reuse:
            problem = "exists; pass a new file (or --reuse)" if path.exists() else "does not exist"
            raise SystemExit(f"error: {path} {problem}")
        store = SQLAuditStore.from_sqlite_path(path)
        yield store, not args.reuse, time.process_time


_Clock = Callable[[], float]


def _children_cpu(parent: int) -> float:
    """User + system CPU seconds of ``parent``'s child processes (PostgreSQL's backends)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[1]) == parent:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _analyze(store: SQLAuditStore) -> None:
    """What autovacuum does to a table this size soon after: statistics, and the visibility map
    that lets PostgreSQL count from an index alone. SQLite plans without statistics."""
    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) audit_evaluations")


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to seed (default 1,000,000)")
    parser.add_argument("--batch", type=int, default=10_000, help="rows per seeding transaction")
    parser.add_argument("--repeat", type=int, default=40, help="runs per query (p50 and p99 of them)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--db", help="SQLite file to create and keep (default: a temp file)")
    parser.add_argument("--reuse", action="store_true", help="time queries on --db as seeded by a past run")
    parser.add_argument("--smoke", action="store_true", help="2,000 rows, 3 runs: it runs, not targets")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results JSON (default {RESULTS})")
    return parser.parse_args()


async def _time_all(store: SQLAuditStore, rows: int, repeat: int, cpu: _Clock) -> list[_Result]:
    try:
        return [
            await _time(store, name, query, repeat, filtered, cpu) for name, query, filtered in _queries(rows)
        ]
    finally:
        await store.aclose()


def _seed(store: SQLAuditStore, rows: int, batch: int) -> None:
    with store.engine.connect() as connection:
        for chunk in _chunks(_rows(rows), batch):
            connection.execute(evaluations.insert(), chunk)
            connection.commit()


def _slos() -> list[tuple[str, str, str]]:
    return [
        (f"{service}-{env}-slo{n}", service, env)
        for service in SERVICES
        for env in ENVIRONMENTS
        for n in range(SLOS_PER_SERVICE_ENV)
    ]


def _rows(count: int) -> Iterator[dict[str, Any]]:
    # One realistic row reused with new keys: the codec would otherwise
    # dominate the seeding time.
    template = evaluation_to_row(_typical_evaluation())
    slos = _slos()
    rng = random.Random(42)  # the same data on every run
    for i in range(count):
        slo_id, service, env = slos[i % len(slos)]
        roll = rng.random()  # 90% ALLOW, 8% WARN, 2% BLOCK
        decision = Decision.BLOCK if roll < 0.02 else Decision.WARN if roll < 0.10 else Decision.ALLOW
        yield {
            **template,
            "id": f"{i:016x}",
            "slo_id": slo_id,
            "service": service,
            "environment": env,
            "decision": decision.name,
            "evaluated_at": START + TICK * (i // len(slos)),
            "data_timestamp": START + TICK * (i // len(slos)) - timedelta(seconds=15),
        }


def _typical_evaluation() -> Evaluation:
    """Two rules over four windows, as the README's example SLO produces."""
    windows = {text: Window.parse(text) for text in ("5m", "1h", "30m", "6h")}
    return Evaluation(
        evaluation_id="template",
        slo_id="template",
        service="template",
        environment="template",
        decision=Decision.ALLOW,
        timestamp=START,
        ttl_seconds=30,
        sli=SLIResult(value=0.99953, error_rate=0.00047, budget_remaining=0.53, window=Window.parse("30d")),
        reasons=("all burn-rate rules within thresholds",),
        burn_rates={text: WindowBurn(burn_rate=0.47, threshold=14.4) for text in windows},
        rules=(
            RuleOutcome("page", windows["5m"], windows["1h"], 0.41, 0.47, 14.4, Decision.BLOCK, False, True),
            RuleOutcome("ticket", windows["30m"], windows["6h"], 0.45, 0.52, 6.0, Decision.WARN, False, True),
        ),
        data_timestamp=START,
    )


def _chunks(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _queries(rows: int) -> list[tuple[str, AuditQuery, bool]]:
    """(name, query, filtered): the target is for filtered queries; the rest are shown beside them."""
    slo_id, service, env = _slos()[7]
    end = START + TICK * (rows // len(_slos()))
    middle = START + (end - START) / 2
    deep = AuditQuery(limit=50)
    # A cursor halfway down the log, as if someone had paged 10,000 pages deep.
    deep = dataclasses.replace(
        deep,
        page_token=encode_page_token(Cursor(middle, f"{rows // 2:016x}"), filter_fingerprint(deep)),
    )
    deep_slo = AuditQuery(slo_id=slo_id, limit=50)
    deep_slo = dataclasses.replace(
        deep_slo, page_token=encode_page_token(Cursor(middle, "~"), filter_fingerprint(deep_slo))
    )
    return [
        ("slo_id", AuditQuery(slo_id=slo_id), True),
        ("slo_id + decision=WARN", AuditQuery(slo_id=slo_id, decision=Decision.WARN), True),
        (
            "slo_id + 1 h time range",
            AuditQuery(slo_id=slo_id, start_time=middle, end_time=middle + timedelta(hours=1)),
            True,
        ),
        ("service + environment", AuditQuery(service=service, environment=env), True),
        (
            "service + environment + decision=BLOCK",
            AuditQuery(service=service, environment=env, decision=Decision.BLOCK),
            True,
        ),
        ("decision=BLOCK", AuditQuery(decision=Decision.BLOCK), True),
        ("1 h time range", AuditQuery(start_time=middle, end_time=middle + timedelta(hours=1)), True),
        ("deep page, slo_id (middle)", deep_slo, True),
        ("offset 1,000, slo_id", AuditQuery(slo_id=slo_id, offset=1_000), True),
        ("offset past the end, slo_id", AuditQuery(slo_id=slo_id, offset=rows), True),
        ("environment only (a third of all rows)", AuditQuery(environment="canary"), True),
        ("1000 rows, service + env", AuditQuery(service=service, environment=env, limit=1000), False),
        ("latest 50, no filter", AuditQuery(), False),
        ("deep page, no filter (row N/2)", deep, False),
        ("offset 10,000, no filter", AuditQuery(offset=10_000), False),
    ]


@dataclasses.dataclass(frozen=True)
class _Result:
    name: str
    filtered: bool
    p50_ms: float
    p99_ms: float
    # Mean CPU per query (the bench process, plus PostgreSQL's server processes, whose /proc figures
    # tick every 10 ms: hence a mean over the runs): what the query costs, which a machine shared
    # with other jobs changes far less than the wall-clock figures.
    cpu_mean_ms: float
    # The part of it that counting the matches (`total`) costs, timed alone (median).
    count_ms: float
    rows: int
    total: int
    plan: str


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


async def _time(
    store: SQLAuditStore, name: str, query: AuditQuery, repeat: int, filtered: bool, cpu: _Clock
) -> _Result:
    timings, counts = [], []
    records = total = 0
    cpu_spent = 0.0
    for _ in range(repeat):  # alternated, so that both see the same machine
        started, cpu_started = time.perf_counter(), cpu()
        page = await store.query(query)
        timings.append((time.perf_counter() - started) * 1000)
        cpu_spent += cpu() - cpu_started
        records, total = len(page.records), page.total
        started = time.perf_counter()
        with store.engine.connect() as connection:
            connection.execute(count_statement(query)).scalar_one()
        counts.append((time.perf_counter() - started) * 1000)
    return _Result(
        name,
        filtered,
        statistics.median(timings),
        _p99(timings),
        cpu_spent / repeat * 1000,
        statistics.median(counts),
        records,
        total,
        await _plan(store, query),
    )


async def _plan(store: SQLAuditStore, query: AuditQuery) -> str:
    """The plan of the exact SQL and parameters the store sent, captured on the way out."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        await store.query(query)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    plans = []
    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.connect() as connection:
        for statement, parameters in sent:  # the page with its count; a count alone after an empty page
            explain = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN"
            steps = connection.exec_driver_sql(f"{explain} {statement}", parameters).all()
            if sqlite:
                plans.append("; ".join(str(step[-1]) for step in steps))
            else:
                plans.append("; ".join(str(step[0]).strip() for step in steps if "Scan" in str(step[0])))
    return " | ".join(plans)


def _print_table(results: list[_Result]) -> None:
    width = max(len(r.name) for r in results)
    print(
        f"{'query':<{width}}  {'p50 ms':>8}  {'p99 ms':>8}  {'CPU ms':>8}  {'count':>8}  "
        f"{'rows':>5}  {'total':>8}  plan"
    )
    for r in results:
        mark = "" if r.filtered else " (not in the target: no filter, or 1,000 rows)"
        print(
            f"{r.name:<{width}}  {r.p50_ms:>8.2f}  {r.p99_ms:>8.2f}  {r.cpu_mean_ms:>8.2f}  "
            f"{r.count_ms:>8.2f}  {r.rows:>5}  "
            f"{r.total:>8}  {r.plan}{mark}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
