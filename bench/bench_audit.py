"""How the audit store's queries scale: seed N rows into SQLite, time the API's queries.

Not a test: run it by hand when the schema, indexes or paging change.

    PYTHONPATH=. .venv/bin/python bench/bench_audit.py --rows 1000000

Seeding uses one multi-row INSERT per batch (the per-record path fsyncs every
row and would take hours for a million). Queries go through SQLAuditStore.query,
so the figures include decoding rows into Evaluations and counting every match
(`total`). Each query prints the SQLite plan, which shows the index it walks.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
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


def main() -> int:
    args = _parse_args()
    with tempfile.TemporaryDirectory(prefix="aegis-bench-") as scratch:
        path = Path(args.db) if args.db else Path(scratch) / "audit.db"
        if path.exists() != args.reuse:
            problem = "exists; pass a new file (or --reuse)" if path.exists() else "does not exist"
            print(f"error: {path} {problem}", file=sys.stderr)
            return 2
        store = SQLAuditStore.from_sqlite_path(path)
        if not args.reuse:
            started = time.perf_counter()
            _seed(store, args.rows, args.batch)
            seconds = time.perf_counter() - started
            rate = args.rows / seconds
            print(f"seeded {args.rows:,} rows in {seconds:.1f} s ({rate:,.0f} rows/s), ", end="")
        print(f"file {path.stat().st_size / 1e6:,.0f} MB\n")
        results = asyncio.run(_time_all(store, args.rows, args.repeat))
    _print_table(results)
    return 0


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to seed (default 1,000,000)")
    parser.add_argument("--batch", type=int, default=10_000, help="rows per seeding transaction")
    parser.add_argument("--repeat", type=int, default=7, help="runs per query; the median is shown")
    parser.add_argument("--db", help="SQLite file to create and keep (default: a temp file)")
    parser.add_argument("--reuse", action="store_true", help="time queries on --db as seeded by a past run")
    return parser.parse_args()


async def _time_all(store: SQLAuditStore, rows: int, repeat: int) -> list[_Result]:
    try:
        return [await _time(store, name, query, repeat) for name, query in _queries(rows)]
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


def _queries(rows: int) -> list[tuple[str, AuditQuery]]:
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
        ("latest 50, no filter", AuditQuery()),
        ("slo_id", AuditQuery(slo_id=slo_id)),
        ("service + environment", AuditQuery(service=service, environment=env)),
        ("decision=BLOCK", AuditQuery(decision=Decision.BLOCK)),
        ("1 h time range", AuditQuery(start_time=middle, end_time=middle + timedelta(hours=1))),
        ("slo_id + decision=WARN", AuditQuery(slo_id=slo_id, decision=Decision.WARN)),
        ("environment only (no own index)", AuditQuery(environment="canary")),
        ("deep page, no filter (row N/2)", deep),
        ("deep page, slo_id (middle)", deep_slo),
        ("1000 rows, service + env", AuditQuery(service=service, environment=env, limit=1000)),
        ("offset 10,000, no filter", AuditQuery(offset=10_000)),
        ("offset 1,000, slo_id", AuditQuery(slo_id=slo_id, offset=1_000)),
        ("offset past the end, slo_id", AuditQuery(slo_id=slo_id, offset=rows)),
    ]


@dataclasses.dataclass(frozen=True)
class _Result:
    name: str
    median_ms: float
    # The part of it that counting the matches (`total`) costs, timed alone.
    count_ms: float
    rows: int
    plan: str


async def _time(store: SQLAuditStore, name: str, query: AuditQuery, repeat: int) -> _Result:
    timings, counts = [], []
    records = 0
    for _ in range(repeat):  # alternated, so that both see the same machine
        started = time.perf_counter()
        page = await store.query(query)
        timings.append((time.perf_counter() - started) * 1000)
        records = len(page.records)
        started = time.perf_counter()
        with store.engine.connect() as connection:
            connection.execute(count_statement(query)).scalar_one()
        counts.append((time.perf_counter() - started) * 1000)
    return _Result(
        name, statistics.median(timings), statistics.median(counts), records, await _plan(store, query)
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
    with store.engine.connect() as connection:
        for statement, parameters in sent:  # the page with its count; a count alone after an empty page
            steps = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            plans.append("; ".join(str(step[-1]) for step in steps))
    return " | ".join(plans)


def _print_table(results: list[_Result]) -> None:
    width = max(len(r.name) for r in results)
    print(f"{'query':<{width}}  {'ms':>8}  {'count':>8}  {'rows':>5}  plan")
    for r in results:
        print(f"{r.name:<{width}}  {r.median_ms:>8.2f}  {r.count_ms:>8.2f}  {r.rows:>5}  {r.plan}")


if __name__ == "__main__":
    raise SystemExit(main())
