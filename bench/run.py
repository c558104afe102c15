"""`make bench`: every benchmark in turn; exits non-zero when a target is missed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    [sys.executable, str(HERE / "bench_gate.py")],
    [sys.executable, str(HERE / "bench_audit.py"), "--rows", "1000000"],
    [sys.executable, str(HERE / "bench_hostile_files.py")],
    [sys.executable, str(HERE / "bench_migrations.py"), "--rows", "100000"],
    [sys.executable, str(HERE / "bench_audit_ingest.py")],
    [sys.executable, str(HERE / "bench_replay.py")],
    [sys.executable, str(HERE / "bench_reload.py")],
    [sys.executable, str(HERE / "bench_replicas.py")],
]


def main() -> int:
    status = 0
    for command in BENCHES:
        print(f"\n== {Path(command[1]).name} ==", flush=True)
        status |= subprocess.run(command, cwd=HERE.parent, env=None).returncode
    return status


if __name__ == "__main__":
    raise SystemExit(main())
