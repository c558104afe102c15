"""What a replay costs on real Prometheus history: the range path against one instant query per step.

    PYTHONPATH=. .venv/bin/python bench/bench_replay.py --hours 6 --step 60

Backfills the replay tests' history (tests/replay/conftest.py: 7 hours, two burns) into a real
Prometheus, then reads the same span both ways and replays it end to end. Prints wall and CPU
time for each, and the engine's time per step. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _results  # the sibling module (its directory is on sys.path)

from aegis.metrics.base import Measurement, StepTimes
from aegis.metrics.prometheus import PrometheusAdapter, PrometheusConfig
from aegis.replay.runner import run_replay
from aegis.replay.span import ReplaySpan
from aegis.spec.durations import Window
from aegis.spec.loader import load_directory
from tests._prometheus import History, backfill, running_prometheus
from tests.replay.conftest import PROFILE, SLO_FILE

# Targets: the range path is what makes a replay cheap; a day of 1m steps replays in seconds.
RANGE_SPEEDUP = 10.0
REPLAY_SECONDS_PER_1000_STEPS = 10.0


async def _measure(url: str, hours: float, step: int, slo_dir: Path) -> int:
    [slo] = load_directory(slo_dir).slos
    windows = (*slo.windows, Window(max(step, 60)))
    adapter = PrometheusAdapter(PrometheusConfig(url, time_alignment=0))
    now = datetime.now(UTC).replace(microsecond=0)
    count = int(hours * 3600 // step) + 1
    steps = StepTimes(now - timedelta(seconds=(count - 1) * step), step, count)
    try:
        wall = time.perf_counter()
        ranged = await adapter.measure_range(slo, windows, steps, time.monotonic() + 300)
        range_wall = time.perf_counter() - wall
        before = adapter.requests_total
        wall = time.perf_counter()
        # A few at a time, as a replay asked step by step would (all at once would outlast the
        # adapter's evaluation budget, which each instant query gets from when it is asked).
        instant: list[Measurement] = []
        times = steps.times()
        for first in range(0, count, 8):
            batch = times[first : first + 8]
            instant += await asyncio.gather(*(adapter.measure(slo, windows, at) for at in batch))
        instant_wall = time.perf_counter() - wall
        requests = adapter.requests_total - before
        span = ReplaySpan.checked(steps.start, steps.end, Window(step), now=now)
        wall, cpu = time.perf_counter(), time.process_time()
        replay = await run_replay(slo, adapter, span, deadline=time.monotonic() + 300)
        replay_wall, replay_cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await adapter.aclose()
    same = ranged == instant
    if not same:
        differ = [i for i, (a, b) in enumerate(zip(ranged, instant, strict=True)) if a != b]
        print(f"steps that differ: {differ[:10]} ({len(differ)} in all)")
        print(f"first: {ranged[differ[0]]}\n    != {instant[differ[0]]}")
    speedup = instant_wall / range_wall
    per_thousand = replay_wall / count * 1000
    print(f"{count} steps of {step}s over {hours:g} h")
    print(f"  history, range queries:   {range_wall:7.3f} s wall (2 requests)")
    slower = f"({requests} requests), {speedup:.0f}x slower"
    print(f"  history, instant queries: {instant_wall:7.3f} s wall {slower}")
    print(f"  the two agree step for step: {same}")
    cost = f"{replay_cpu:.3f} s CPU, {per_thousand:.2f} s per 1000 steps"
    print(f"  replay end to end:        {replay_wall:7.3f} s wall, {cost}")
    print(f"  transitions {len(replay.transitions)}, burns {len(replay.burns)}")
    ok = same and speedup >= RANGE_SPEEDUP and per_thousand <= REPLAY_SECONDS_PER_1000_STEPS
    if not ok:
        targets = f"speed-up >= {RANGE_SPEEDUP}x, <= {REPLAY_SECONDS_PER_1000_STEPS} s per 1000 steps"
        print(f"TARGET MISSED: {targets}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=6.0, help="span to replay (the history holds 7 h)")
    parser.add_argument("--step", type=int, default=60, help="seconds between steps")
    _results.add_arguments(parser, "replay", "half an hour at 5-minute steps")
    args = parser.parse_args()
    if args.smoke:
        args.hours, args.step = 0.5, 300
    with tempfile.TemporaryDirectory(prefix="aegis-bench-replay-") as scratch:
        root = Path(scratch)
        (root / "slos").mkdir()
        (root / "slos" / "replay.yaml").write_text(SLO_FILE, encoding="utf-8")
        blocks = backfill(History.build([PROFILE]), root / "blocks")
        with running_prometheus(blocks, root / "prometheus") as server:
            status = asyncio.run(_measure(server.url, args.hours, args.step, root / "slos"))
    _results.write(
        args.output, "replay", args.smoke, {"hours": args.hours, "step": args.step, "met": status == 0}
    )
    return 0 if args.smoke else status


if __name__ == "__main__":
    raise SystemExit(main())
