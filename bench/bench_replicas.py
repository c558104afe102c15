"""Several replicas at scale: 10 replicas, 10,000 synthetic SLOs, one PostgreSQL.

Measures, in one run:
- ownership balance: SLOs evaluated per replica (max/min, and max against the even share);
- takeover after ``kill -9`` of two replicas: how long until each of their SLOs is evaluated by
  a survivor, against the evaluation interval (the target: within one interval);
- the database's side: connections, transactions and rows written per second, and the CPU the
  PostgreSQL processes used, per evaluation, with ONE replica carrying the same SLOs as the
  baseline measured first in the same run (so the figures are the cost of coordination).

``--smoke``: 2 replicas, 40 SLOs, 3 s interval, one killed (well under a minute; `make test` runs it
to check the bench works, not its targets). Figures go to bench/results/replicas.json (``--output``).
``--replicas/--slos/--interval/--lease`` change the full run's scale: every replica parses every SLO
file at start (about 10 ms each on a busy 2-core VM), so 10 replicas x 10,000 SLOs need about
half an hour of CPU just to start there.
Exit status 1 when the takeover target or the balance target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import _results  # noqa: E402  (the sibling module; its directory is on sys.path)

from tests._postgres import PostgresServer, create_database, running_postgres  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
FIXTURES = ("healthy", "fast-burn", "slow-burn", "stale")


@dataclass(frozen=True)
class Scale:
    replicas: int
    slos: int
    interval: float
    lease: float
    killed: int


FULL = Scale(replicas=10, slos=10_000, interval=60.0, lease=10.0, killed=2)
SMOKE = Scale(replicas=2, slos=40, interval=3.0, lease=1.5, killed=1)


def write_slos(directory: Path, count: int, interval: float) -> None:
    directory.mkdir(parents=True)
    for n in range(count):
        fixture = FIXTURES[n % len(FIXTURES)]
        document = {
            "apiVersion": "aegis.slo/v1",
            "kind": "SLO",
            "metadata": {"id": f"bench-{n:05d}", "service": f"svc-{n // 10:04d}", "owner": "bench"},
            "spec": {
                "environment": "production",
                "objective": 0.995,
                "complianceWindow": "30d",
                "evaluationInterval": f"{interval:g}s",
                "sli": {
                    "type": "availability",
                    "good": {"prometheusQuery": f"fixture: {fixture}"},
                    "total": {"prometheusQuery": f"fixture: {fixture}"},
                },
                "burnPolicy": {
                    "rules": [{"name": "fast", "shortWindow": "5m", "longWindow": "1h", "threshold": 14.0}]
                },
                "gating": {"minDataPoints": 1, "stalenessLimit": "10m"},
            },
        }
        (directory / f"bench-{n:05d}.yaml").write_text(yaml.safe_dump(document))


class Database:
    def __init__(self, server: PostgresServer, name: str) -> None:
        self.server = server
        self.name = name
        self.url = server.url(name)

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url.replace("+psycopg", ""), autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()

    def counters(self) -> tuple[int, int]:
        """Transactions committed and rows written so far in this database."""
        ((xact, rows),) = self.query(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database "
            "WHERE datname = %s",
            self.name,
        )
        return int(xact), int(rows)

    def connections(self) -> int:
        ((count,),) = self.query("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", self.name)
        return int(count)

    def audit_count(self) -> int:
        ((count,),) = self.query("SELECT count(*) FROM audit_evaluations WHERE evaluation_ref IS NULL")
        return int(count)

    def longest_gap(self, slo_ids: set[str], since_seconds_ago: float) -> float:
        """The longest time between two evaluations of one of ``slo_ids`` lately (seconds)."""
        ((gap,),) = self.query(
            "SELECT coalesce(max(extract(epoch FROM gap)), 0) FROM ("
            "  SELECT evaluated_at - lag(evaluated_at) OVER (PARTITION BY slo_id ORDER BY evaluated_at)"
            "  AS gap"
            "  FROM audit_evaluations WHERE slo_id = ANY(%s) AND evaluation_ref IS NULL"
            "  AND evaluated_at > now() - make_interval(secs => %s)) AS gaps",
            sorted(slo_ids),
            since_seconds_ago,
        )
        return float(gap)

    def evaluated_by(self) -> dict[str, str]:
        rows = self.query("SELECT slo_id, evaluated_by FROM aegis_slo_latest WHERE evaluated_by IS NOT NULL")
        return {str(slo_id): str(by) for slo_id, by in rows}


def postgres_cpu_seconds(server: PostgresServer) -> float:
    """CPU time of the PostgreSQL server: the postmaster, its live children, and those it reaped
    (a connection closed by a pool takes its backend's CPU time into the postmaster's cutime)."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            # fields[1] is the parent pid; 11-14 are utime, stime, cutime, cstime.
            if int(entry.name) == postmaster:
                total += sum(int(f) for f in fields[11:15])
            elif int(fields[1]) == postmaster:
                total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


@contextlib.contextmanager
def replicas(
    db: Database, slo_dir: Path, names: list[str], scale: Scale, logs: Path
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    started: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in names:
            log = (logs / f"{name}.log").open("wb")
            started[name] = subprocess.Popen(
                [
                    sys.executable, "-m", "aegis.cli.server", "--host", "127.0.0.1", "--port", "0",
                    "--grpc-port", "0", "--db-url", db.url, "--slo-dir", str(slo_dir),
                    "--synthetic-fixtures", str(ROOT / "fixtures" / "metrics"), "--replica-id", name,
                    "--replica-lease", f"{scale.lease:g}", "--slo-reload-interval", "0",
                    "--log-level", "WARNING",
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )  # fmt: skip
        yield started
    finally:
        for process in started.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_all_evaluated(db: Database, scale: Scale, names: set[str], timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        by = db.evaluated_by()
        if len(by) == scale.slos and set(by.values()) == names:
            return time.monotonic() - started
        time.sleep(1.0)
    raise SystemExit(f"not every SLO evaluated by its owner within {timeout:g}s")


@dataclass
class Load:
    evaluations_per_s: float
    xact_per_s: float
    rows_per_s: float
    pg_cpu_per_s: float
    connections: int

    def per_evaluation(self, value: float) -> float:
        return value / self.evaluations_per_s if self.evaluations_per_s else float("nan")


def measure_load(db: Database, server: PostgresServer, seconds: float) -> Load:
    audit0, (xact0, rows0), cpu0 = db.audit_count(), db.counters(), postgres_cpu_seconds(server)
    started = time.monotonic()
    peak_connections = 0
    while time.monotonic() - started < seconds:
        peak_connections = max(peak_connections, db.connections())
        time.sleep(min(2.0, seconds / 5))
    elapsed = time.monotonic() - started
    audit1, (xact1, rows1), cpu1 = db.audit_count(), db.counters(), postgres_cpu_seconds(server)
    return Load(
        (audit1 - audit0) / elapsed,
        (xact1 - xact0) / elapsed,
        (rows1 - rows0) / elapsed,
        (cpu1 - cpu0) / elapsed,
        peak_connections - 1,  # the bench's own connection
    )


def baseline(server: PostgresServer, slo_dir: Path, scale: Scale, logs: Path) -> Load:
    db = Database(server, create_database(server, "bench_one"))
    upgrade(db)
    with replicas(db, slo_dir, ["solo"], scale, logs):
        # Not "until every SLO is evaluated": one replica may not keep up with all of them (that is
        # what replicas are for); its cost per evaluation is measured all the same.
        wait_first_evaluations(db, timeout=30 * scale.interval)
        time.sleep(scale.interval)
        return measure_load(db, server, scale.interval)


def wait_first_evaluations(db: Database, timeout: float) -> None:
    started = time.monotonic()
    while not db.evaluated_by():
        if time.monotonic() - started > timeout:
            raise SystemExit(f"no evaluation within {timeout:g}s")
        time.sleep(1.0)


def upgrade(db: Database) -> None:
    subprocess.run(
        [sys.executable, "-m", "aegis.cli.main", "db", "upgrade", "--db-url", db.url], cwd=ROOT, check=True
    )


def takeover(
    db: Database, victims: dict[str, set[str]], killed_at: float, timeout: float
) -> dict[str, float]:
    """Seconds from the kill until each victim SLO was evaluated by a survivor."""
    pending = {slo_id for slos in victims.values() for slo_id in slos}
    taken: dict[str, float] = {}
    dead = set(victims)
    while pending and time.monotonic() - killed_at < timeout:
        now = time.monotonic()
        by = db.evaluated_by()
        for slo_id in list(pending):
            if by.get(slo_id) not in dead:
                taken[slo_id] = now - killed_at
                pending.discard(slo_id)
        time.sleep(0.25)
    if pending:
        raise SystemExit(f"{len(pending)} SLO(s) not taken over within {timeout:g}s")
    return taken


def run(scale: Scale, output: Path, smoke: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="aegis-bench-replicas-") as tmp, running_postgres() as server:
        root = Path(tmp)
        slo_dir = root / "slos"
        write_slos(slo_dir, scale.slos, scale.interval)
        print(f"{scale.slos:,} SLOs every {scale.interval:g}s, lease {scale.lease:g}s", flush=True)
        one = baseline(server, slo_dir, scale, root)
        db = Database(server, create_database(server, "bench_cluster"))
        upgrade(db)
        names = [f"replica-{n:02d}" for n in range(scale.replicas)]
        with replicas(db, slo_dir, names, scale, root) as processes:
            ready = wait_all_evaluated(db, scale, set(names), timeout=30 * scale.interval)
            time.sleep(scale.interval)  # a whole interval after the last handoff of the start
            many = measure_load(db, server, scale.interval)
            owned: dict[str, set[str]] = {name: set() for name in names}
            for slo_id, by in db.evaluated_by().items():
                owned[by].add(slo_id)
            counts = sorted(len(slos) for slos in owned.values())
            victims = {name: owned[name] for name in names[: scale.killed]}
            killed_at = time.monotonic()
            for name in victims:
                processes[name].kill()
            taken = takeover(db, victims, killed_at, timeout=3 * scale.interval)
            # The schedule across the kill: the longest wait between two evaluations of a victim SLO.
            victim_slos = {slo_id for slos in victims.values() for slo_id in slos}
            gap = db.longest_gap(victim_slos, time.monotonic() - killed_at + 2 * scale.interval)
            survivors = [name for name in names if name not in victims]
            time.sleep(2.0)
            after = sorted(len([s for s, by in db.evaluated_by().items() if by == n]) for n in survivors)
    return report(scale, one, many, counts, after, taken, ready, gap, output, smoke)


def report(
    scale: Scale,
    one: Load,
    many: Load,
    counts: list[int],
    after: list[int],
    taken: dict[str, float],
    ready: float,
    gap: float,
    output: Path,
    smoke: bool,
) -> int:
    share = scale.slos / scale.replicas
    ordered = sorted(taken.values())
    p50, worst = ordered[len(ordered) // 2], ordered[-1]
    print(
        f"\nall {scale.slos:,} SLOs evaluated by their owners {ready:.0f}s after "
        f"the {scale.replicas} replicas started"
    )
    print(
        f"ownership: min {counts[0]}, max {counts[-1]} SLOs per replica; "
        f"max/min {counts[-1] / counts[0]:.2f}, "
        f"max/even share {counts[-1] / share:.2f}"
    )
    print(
        f"after killing {scale.killed}: min {after[0]}, max {after[-1]} per survivor "
        f"(max/min {after[-1] / after[0]:.2f})"
    )
    print(
        f"takeover of {len(taken)} SLOs after kill -9: median {p50:.1f}s, worst {worst:.1f}s = "
        f"{worst / scale.interval:.2f} x the {scale.interval:g}s interval (lease {scale.lease:g}s)"
    )
    print(
        f"longest wait between two evaluations of a taken-over SLO: {gap:.1f}s = "
        f"{gap / scale.interval:.2f} x the interval (1.00: the schedule did not slip)"
    )
    print(f"\n{'':<28} {'1 replica':>12} {f'{scale.replicas} replicas':>12} {'ratio':>7}")
    rows = [
        ("evaluations/s", one.evaluations_per_s, many.evaluations_per_s),
        ("DB connections", one.connections, many.connections),
        ("DB transactions/s", one.xact_per_s, many.xact_per_s),
        ("DB transactions/evaluation", one.per_evaluation(one.xact_per_s),
         many.per_evaluation(many.xact_per_s)),
        ("DB rows written/evaluation", one.per_evaluation(one.rows_per_s),
         many.per_evaluation(many.rows_per_s)),
        ("PostgreSQL CPU (cores)", one.pg_cpu_per_s, many.pg_cpu_per_s),
        ("PG CPU ms/evaluation", 1000 * one.per_evaluation(one.pg_cpu_per_s),
         1000 * many.per_evaluation(many.pg_cpu_per_s)),
    ]  # fmt: skip
    for label, base, value in rows:
        ratio = value / base if base else float("nan")
        print(f"{label:<28} {base:>12,.2f} {value:>12,.2f} {ratio:>6.2f}x")
    balanced = counts[-1] / share <= 1.25
    in_time = worst <= scale.interval + 1.0
    print(
        f"\ntargets: takeover within one interval: {'met' if in_time else 'MISSED'}; "
        f"busiest replica within 25% of the even share: {'met' if balanced else 'MISSED'}"
    )
    _results.write(
        output,
        "replicas",
        smoke,
        {
            "scale": dataclasses.asdict(scale),
            "one_replica": dataclasses.asdict(one),
            "replicas": dataclasses.asdict(many),
            "slos_per_replica": counts,
            "slos_per_survivor": after,
            "takeover_seconds": {"median": p50, "worst": worst},
            "longest_gap_seconds": gap,
            "ready_seconds": ready,
            "met": balanced and in_time,
        },
    )
    return 0 if smoke or (balanced and in_time) else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _results.add_arguments(parser, "replicas", "2 replicas, 40 SLOs, 3 s interval")
    parser.add_argument("--replicas", type=int, default=FULL.replicas)
    parser.add_argument("--slos", type=int, default=FULL.slos)
    parser.add_argument("--interval", type=float, default=FULL.interval, help="evaluation interval (s)")
    parser.add_argument("--lease", type=float, default=FULL.lease, help="--replica-lease (s)")
    parser.add_argument("--killed", type=int, default=FULL.killed, help="replicas killed with SIGKILL")
    args = parser.parse_args()
    if args.smoke:
        return run(SMOKE, args.output, True)
    return run(Scale(args.replicas, args.slos, args.interval, args.lease, args.killed), args.output, False)


if __name__ == "__main__":
    raise SystemExit(main())
