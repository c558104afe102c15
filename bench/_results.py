"""Where a benchmark's figures go: bench/results/NAME.json, or ``--output`` (the smoke run's scratch).

Every bench writes one JSON document beside its printed table, so `make bench` leaves figures a
person (docs/benchmarks.md) or a script can compare, and `make bench-smoke` can check each bench
still produces them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def add_arguments(parser: argparse.ArgumentParser, name: str, smoke_help: str) -> None:
    parser.add_argument(
        "--smoke", action="store_true", help=f"{smoke_help}; checks that it runs, not targets"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS_DIR / f"{name}.json",
        help=f"results JSON (default {name}.json)",
    )


def write(path: Path, bench: str, smoke: bool, figures: dict[str, Any]) -> None:
    document = {
        "bench": bench,
        "smoke": smoke,
        "machine": {
            "cpus": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        **figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"wrote {path}")
