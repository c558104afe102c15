"""Footprint at 10,000 SLOs on the synthetic adapter (issue 7, target 4; docs/benchmarks.md).

The real server process (``python -m aegis.cli.server``, SQLite audit) over a directory of N SLO
files in the documented format, each reading a synthetic fixture. Measured: start to ready (process
start until ``/readyz`` answers 200, i.e. every SLO loaded and evaluated once) and resident memory
(VmRSS once ready, and the peak VmHWM), beside the same server with one SLO in the same run (the
baseline: what the process costs before any SLO). Targets at 10,000 SLOs: RSS <= 150 MB, start to
ready <= 3 s. A miss exits 1.

    .venv/bin/python bench/bench_footprint.py [--slos 10000] [--smoke] [--output FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import _results  # noqa: E402 - the sibling module (its directory is on sys.path)

from aegis.api.server import LISTENING_PATTERN  # noqa: E402

TARGET_RSS_MB = 150.0
TARGET_READY_S = 3.0

SLO_TEMPLATE = """\
apiVersion: aegis.slo/v1
kind: SLO
metadata:
  id: {id}
  service: svc-{index:05d}
  owner: team-{team:02d}
spec:
  environment: production
  objective: 0.999
  complianceWindow: 30d
  evaluationInterval: 5m
  sli:
    type: availability
    good:
      prometheusQuery: "fixture:{fixture}"
    total:
      prometheusQuery: "fixture:{fixture}"
  burnPolicy:
    rules:
      - {{name: fast-burn, shortWindow: 5m, longWindow: 1h, threshold: 14.4}}
      - {{name: slow-burn, shortWindow: 30m, longWindow: 6h, threshold: 6}}
  gating:
    minDataPoints: 1
    stalenessLimit: 10m
"""
FIXTURES = ("healthy-all-windows", "fast-burn-all-windows", "slow-burn-all-windows")


def _write_slos(directory: Path, count: int) -> None:
    for index in range(count):
        team = directory / f"team-{index % 50:02d}"
        team.mkdir(parents=True, exist_ok=True)
        text = SLO_TEMPLATE.format(
            id=f"slo-{index:05d}", index=index, team=index % 50, fixture=FIXTURES[index % len(FIXTURES)]
        )
        (team / f"slo-{index:05d}.yaml").write_text(text)


def _memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


def _measure(slo_dir: Path, db: Path) -> dict[str, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "aegis.cli.server", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0",
         "--slo-dir", str(slo_dir), "--synthetic-fixtures", str(ROOT / "fixtures" / "metrics"),
         "--db", str(db), "--log-level", "INFO", "--slo-reload-interval", "0"],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        port = None
        assert process.stderr is not None
        for line in process.stderr:
            match = LISTENING_PATTERN.search(line)
            if match:
                port = int(match["http"])
                break
        if port is None:
            raise SystemExit(f"the server did not start (exit {process.wait()})")
        listening = time.perf_counter() - started
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            while client.get("/readyz").status_code != 200:
                time.sleep(0.02)
                if time.perf_counter() - started > 120:
                    raise SystemExit("the server was not ready within 120 s")
            ready = time.perf_counter() - started
            rss, peak = _memory(process.pid)
        return {"listening_s": listening, "ready_s": ready, "rss_mb": rss, "peak_rss_mb": peak}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slos", type=int, default=10_000)
    _results.add_arguments(parser, "footprint", "300 SLOs")
    args = parser.parse_args()
    count = 300 if args.smoke else args.slos
    out: dict[str, Any] = {"slos": count}
    with tempfile.TemporaryDirectory(prefix="aegis-bench-footprint-") as scratch:
        tmp = Path(scratch)
        _write_slos(tmp / "one", 1)
        _write_slos(tmp / "many", count)
        out["baseline (1 SLO)"] = _measure(tmp / "one", tmp / "one.db")
        out[f"{count} SLOs"] = _measure(tmp / "many", tmp / "many.db")
    for name in ("baseline (1 SLO)", f"{count} SLOs"):
        figures = out[name]
        print(
            f"{name}: listening after {figures['listening_s']:.2f} s, "
            f"ready after {figures['ready_s']:.2f} s, RSS {figures['rss_mb']:.0f} MB "
            f"(peak {figures['peak_rss_mb']:.0f} MB)"
        )
    many, base = out[f"{count} SLOs"], out["baseline (1 SLO)"]
    per_slo_kb = (many["rss_mb"] - base["rss_mb"]) * 1024 / max(count - 1, 1)
    out["rss_kb_per_slo"] = per_slo_kb
    ratio = many["ready_s"] / base["ready_s"]
    print(f"{per_slo_kb:.1f} KB of RSS per SLO; ready in {ratio:.1f}x the baseline's time")
    misses = []
    if not args.smoke:
        if many["rss_mb"] > TARGET_RSS_MB:
            misses.append(f"RSS {many['rss_mb']:.0f} MB > {TARGET_RSS_MB:.0f} MB")
        if many["ready_s"] > TARGET_READY_S:
            misses.append(f"start to ready {many['ready_s']:.2f} s > {TARGET_READY_S} s")
    out["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    out["misses"] = misses
    _results.write(args.output, "footprint", args.smoke, out)
    for miss in misses:
        print(f"MISSED: {miss}")
    print("OK" if not misses else "MISSED")
    return 0 if not misses else 1


if __name__ == "__main__":
    raise SystemExit(main())
