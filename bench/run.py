"""`make bench`: every benchmark in turn; exits non-zero when a target is missed.

`make bench-smoke` (part of `make test`): `run.py --smoke` runs each one briefly with tiny sizes,
writing its JSON into a scratch directory, and fails when a bench crashes or leaves no JSON, so
none of them rots between the (long) full runs. Targets are not judged in a smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# (script, arguments of the full run); each accepts --smoke and --output.
BENCHES: list[tuple[str, list[str]]] = [
    ("bench_gate.py", []),
    ("bench_audit.py", ["--rows", "1000000"]),
    ("bench_hostile_files.py", []),
    ("bench_migrations.py", ["--rows", "100000"]),
    ("bench_audit_ingest.py", []),
    ("bench_replay.py", []),
    ("bench_reload.py", []),
    ("bench_recorded_series.py", []),
    ("bench_evaluation.py", ["--slos", "1000", "10000"]),
    ("bench_footprint.py", ["--slos", "10000"]),
    ("bench_detection.py", []),
    ("bench_replicas.py", []),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="each bench briefly; checks they run")
    parser.add_argument("only", nargs="*", help="run only these scripts (e.g. bench_gate.py)")
    args = parser.parse_args()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])),
    }
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="aegis-bench-smoke-") as scratch:
        for script, full in BENCHES:
            if args.only and script not in args.only:
                continue
            output = Path(scratch) / f"{Path(script).stem}.json"
            command = [sys.executable, str(HERE / script)]
            command += ["--smoke", "--output", str(output)] if args.smoke else full
            print(f"\n== {script}{' (smoke)' if args.smoke else ''} ==", flush=True)
            started = time.monotonic()
            status = subprocess.run(command, cwd=HERE.parent, env=env).returncode
            print(f"-- {script}: exit {status} in {time.monotonic() - started:.1f} s", flush=True)
            if status != 0:
                failed.append(f"{script} exited {status}")
            elif args.smoke and not _valid_json(output):
                failed.append(f"{script} wrote no results JSON")
    for failure in failed:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failed else 0


def _valid_json(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text()), dict)
    except (OSError, ValueError):
        return False


if __name__ == "__main__":
    raise SystemExit(main())
