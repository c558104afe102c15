"""``aegis explain --slo ID``: the latest decision on one SLO, told for a person.

    $ aegis explain --url http://localhost:8080 --slo checkout-fast-burn
    checkout-fast-burn (checkout/production): BLOCK at 2026-12-01T10:30:00+00:00
      reason: rule fast-burn fired (BLOCK): burn rate 25.0x over 5m and 20.0x over 1h, ...
      error budget left: 0.0% over 30d (SLI 99.8000%, error rate 0.2000%)
      rule fast-burn (BLOCK at 14.4x): 5m at 25.0x, 1h at 20.0x; FIRED: both windows at or above 14.4x
      for the gate to open:
        - rule fast-burn: the 5m burn rate must fall below 14.4x (now 25.0x), or the 1h burn rate ...

Exit codes: 0 explained (whatever the decision), 3 no decision could be had (as ``aegis gate``),
2 a wrong command line.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from aegis.cli._remote import UsageError, add_server_arguments, open_client
from aegis.client import AegisError
from aegis.client.explanation import explain

__all__ = ["register", "run"]

EXIT_OK = 0
EXIT_ERROR = 3


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "explain",
        help="explain the latest decision on one SLO",
        description="Show the latest decision on one SLO: each rule's windows and burn rates against "
        "its threshold, the error budget left, and what would have to change for the gate to open.",
    )
    parser.add_argument("--slo", metavar="ID", required=True, help="the SLO's metadata.id")
    parser.add_argument(
        "--fresh", action="store_true", help="evaluate now instead of reading the latest evaluation"
    )
    add_server_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        client = open_client(args)
    except (UsageError, ValueError) as problem:
        err.write(f"aegis explain: error: {problem}\n")
        return EXIT_ERROR
    try:
        with client:
            evaluation = client.decide(args.slo, fresh=args.fresh)
    except AegisError as problem:
        err.write(f"aegis explain: could not get a decision: {problem}\n")
        return EXIT_ERROR
    out.write("\n".join(explain(evaluation).lines()) + "\n")
    return EXIT_OK
