"""How fast the gate answers, over both surfaces, and what the server costs in memory.

Not a test: `make bench` runs it. It starts a real `aegis-server` (embedded
default: synthetic adapter, SQLite) on free loopback ports, warms it up, then
loads it with cached decisions: REST from wrk for a fixed few seconds, gRPC
from a grpc.aio client for a bounded number of calls; then it reads the
server's resident memory from /proc.

Targets (2 cores, client and server on one machine) are checked at the end;
a miss exits 1 so that a regression is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aegis.api.server import LISTENING_PATTERN  # noqa: E402
from aegis.v1 import gate_pb2, gate_pb2_grpc  # noqa: E402

TARGETS = {
    "rest_rps": 1500.0,  # cached decisions per second, REST via wrk, 32 connections (measured ~3,300)
    "rest_p99_ms": 50.0,
    "grpc_rps": 2000.0,  # cached decisions per second, gRPC, concurrency 32 (measured ~4,900)
    "grpc_p99_ms": 50.0,
    "rss_mib": 250.0,  # server resident memory after the load (measured ~70)
}
_WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"sloID": "api-availability"}'
wrk.headers["Content-Type"] = "application/json"
"""


def start_server(db: Path) -> tuple[subprocess.Popen[str], int, int, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "aegis.cli.server", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0",
         "--db", str(db), "--log-level", "INFO"],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in list(lines):
            match = LISTENING_PATTERN.search(line)
            if match:
                return process, int(match["grpc"]), int(match["http"]), lines
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"server did not start: {lines}")


async def _load(call: object, total: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await call()  # type: ignore[operator]
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - started), latencies


def wrk_rest(http_port: int, concurrency: int, seconds: int) -> dict[str, float]:
    """REST load from wrk (C): a Python HTTP client would measure itself, not the server."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk; make bench does it)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_WRK_SCRIPT)
        script.flush()
        out = subprocess.run(
            [wrk, "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", script.name,
             f"http://127.0.0.1:{http_port}/v1/gate/decision"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    if "Non-2xx" in out:
        raise SystemExit(f"REST answered errors under load:\n{out}")
    results = {"rest_rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for label, key in (("50%", "rest_p50_ms"), ("99%", "rest_p99_ms")):
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        results[key] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return results


async def wait_ready(http_port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as rest:
        for _ in range(300):
            if (await rest.get("/readyz")).status_code == 200:
                return
            await asyncio.sleep(0.05)
    raise SystemExit("server never became ready")


async def bench_grpc(grpc_port: int, total: int, concurrency: int) -> dict[str, float]:
    results: dict[str, float] = {}

    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = gate_pb2_grpc.GateServiceStub(channel)

        async def grpc_call() -> None:
            await stub.Decide(gate_pb2.DecideRequest(slo_id="api-availability"))

        await _load(grpc_call, 200, concurrency)
        rps, latencies = await _load(grpc_call, total, concurrency)
        results["grpc_rps"], results["grpc_p50_ms"] = rps, statistics.median(latencies)
        results["grpc_p99_ms"] = statistics.quantiles(latencies, n=100)[98]
    return results


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="gRPC requests (default 5000)")
    parser.add_argument("--seconds", type=int, default=5, help="REST load duration (default 5)")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, grpc_port, http_port, _lines = start_server(Path(tmp) / "bench.db")
        try:
            asyncio.run(wait_ready(http_port))
            results = wrk_rest(http_port, args.concurrency, args.seconds)
            results.update(asyncio.run(bench_grpc(grpc_port, args.requests, args.concurrency)))
            results["rss_mib"] = rss_mib(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=20)
    failed = 0
    print(f"{'metric':<14}{'value':>10}  target")
    for name, value in results.items():
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            ok = value >= target if name.endswith("_rps") else value <= target
            failed += not ok
            verdict = f"{'>=' if name.endswith('_rps') else '<='} {target:g}  {'ok' if ok else 'MISSED'}"
        print(f"{name:<14}{value:>10.1f}  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
