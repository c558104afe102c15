"""What reading recorded series saves: one SLO over many raw series, raw queries against `aegis rules`.

    PYTHONPATH=. .venv/bin/python bench/bench_recorded_series.py --instances 100

Backfills 7 hours of ``http_request_duration_seconds_count{job="myservice", instance, code}`` from
``--instances`` instances into a real Prometheus that loads the rules ``aegis rules`` exports for
Sloth's ``myservice`` example (windows 5m to 3d and 30d), then times, in the same run, the
requests the adapter sends for one evaluation both ways: the raw plan (all values and evidence
in one combined query, and the freshness/gap timeline over a day), and the recorded one (the
values from recorded series, the same raw evidence, the timeline from the recorded newest-sample
series). Each round asks at a new instant. The recorded timeline is only used once it covers a
day of recordings; its cost does not depend on that, so this is the steady state. Prints each
query's time and the ratio; exits 1 when the recorded requests are not faster by the target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _results  # the sibling module (its directory is on sys.path)

from aegis.metrics._plan import build_plan, combine
from aegis.metrics._recorded_parts import recorded_parts, recorded_timeline
from aegis.metrics.rules_export import rule_file, rule_groups
from aegis.spec.loader import load_file
from tests._prometheus import FUTURE, HISTORY, History, Profile, Segment, Series, backfill, running_prometheus

SLO_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "slo" / "sloth" / "multifile.yml"
SPEEDUP = 5.0


def _history(instances: int) -> History:
    # Data up to now only: Prometheus records rule results only after the newest backfilled sample.
    built = History.build(
        [Profile(f"i{n}", (Segment(HISTORY + 60, -HISTORY, 5.0, 0.001),)) for n in range(instances)],
        now=int(time.time()) - FUTURE,
    )
    series = [
        Series(
            "http_request_duration_seconds_count",
            {"job": "myservice", "instance": s.labels["service"], "code": s.labels["code"]},
            s.points,
        )
        for s in built.series
    ]
    return History(built.now, series, built.profiles)


def _queries(recorded: bool) -> dict[str, str]:
    slo = next(s for s in load_file(SLO_FILE).slos if s.id == "myservice-requests-availability")
    plan = build_plan(slo, slo.windows, max_range=86400, max_points=1440, min_step=15)
    assert plan.timeline is not None
    if not recorded:
        return {"values and evidence": combine(plan.parts), "timeline": plan.timeline}
    timeline = recorded_timeline(slo, plan)
    assert timeline is not None
    return {"values and evidence": combine(recorded_parts(slo, plan.parts, 180)), "timeline": timeline}


def _timed(url: str, queries: dict[str, str], rounds: int) -> dict[str, float]:
    spent = dict.fromkeys(queries, 0.0)
    with httpx.Client(base_url=url, timeout=300) as client:
        for index in range(rounds):
            for name, query in queries.items():
                wall = time.perf_counter()
                answer = client.get("/api/v1/query", params={"query": query, "time": time.time() - index})
                spent[name] += time.perf_counter() - wall
                assert answer.json()["data"]["result"], (name, answer.text[:200])
    return {name: total / rounds for name, total in spent.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    _results.add_arguments(parser, "recorded_series", "5 instances, one round")
    args = parser.parse_args()
    if args.smoke:
        args.instances, args.rounds = 5, 1
    slos = load_file(SLO_FILE).slos
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rules = work / "rules.yml"
        rules.write_text(yaml.safe_dump(rule_file(rule_groups(slos)[0])), encoding="utf-8")
        started = time.perf_counter()
        blocks = backfill(_history(args.instances), work / "blocks")
        took = time.perf_counter() - started
        print(f"{args.instances * 2} raw series, 7 h at 15 s, backfilled in {took:.1f}s")
        with running_prometheus(
            blocks, work / "prom", rule_files=(rules,), evaluation_interval="5s"
        ) as server:
            query = 'slo:sli_total:rate30d{sloth_id="myservice-requests-availability"}'
            deadline = time.monotonic() + 120
            while not httpx.get(f"{server.url}/api/v1/query", params={"query": query}).json()["data"][
                "result"
            ]:
                if time.monotonic() > deadline:
                    print("the rules never recorded")
                    return 1
                time.sleep(0.5)
            # Until a step of the recorded timeline (a minute) has a recorded sample.
            timeline = _queries(recorded=True)["timeline"]
            while not httpx.get(f"{server.url}/api/v1/query", params={"query": timeline}).json()["data"][
                "result"
            ]:
                if time.monotonic() > deadline + 120:
                    print("the newest-sample series never recorded")
                    return 1
                time.sleep(1)
            raw = _timed(server.url, _queries(recorded=False), args.rounds)
            recorded = _timed(server.url, _queries(recorded=True), args.rounds)
    for name in raw:
        print(f"{name:20} raw {raw[name] * 1000:9.1f} ms   recorded {recorded[name] * 1000:9.1f} ms")
    ratio = sum(raw.values()) / sum(recorded.values())
    print(
        f"one evaluation: raw {sum(raw.values()):.2f} s, recorded {sum(recorded.values()):.2f} s: "
        f"{ratio:.1f}x faster with recorded series (target {SPEEDUP}x)"
    )
    met = ratio >= SPEEDUP
    figures = {
        "raw_series": args.instances * 2,
        "raw_seconds": raw,
        "recorded_seconds": recorded,
        "speedup": ratio,
        "target_speedup": SPEEDUP,
    }
    _results.write(args.output, "recorded_series", args.smoke, {**figures, "met": met})
    return 0 if met or args.smoke else 1


if __name__ == "__main__":
    raise SystemExit(main())
