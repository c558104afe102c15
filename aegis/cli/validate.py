"""``aegis validate --dir DIR``: check every SLO file the server would load, without starting it.

Meant for CI on the repository that holds the SLOs: prints each problem as
``file: field: message``, then a one-line summary, and exits 1 if anything is wrong. With
``--backends-file``, an SLO naming a backend the file does not define (nor ``default``) is a
problem too, as the server would report it.
"""

from __future__ import annotations

import argparse
import sys

from aegis.metrics.backends_file import BackendsFileError, load_backends_file
from aegis.spec.loader import SpecDirectoryError, load_directory
from aegis.spec.model import DEFAULT_BACKEND

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "validate",
        help="check SLO definition files",
        description="Check every *.yaml/*.yml SLO file under a directory (recursively); report all problems.",
    )
    parser.add_argument("--dir", required=True, metavar="DIR", help="directory holding the SLO files")
    parser.add_argument(
        "--backends-file",
        metavar="FILE",
        help="the server's backends file: spec.sli.backend must name one of its backends, or default",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        backends = None
        if args.backends_file:
            backends = {DEFAULT_BACKEND, *(spec.name for spec in load_backends_file(args.backends_file))}
        result = load_directory(args.dir, backends=backends)
    except (SpecDirectoryError, BackendsFileError) as err:
        print(f"aegis validate: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    for problem in result.problems:
        print(problem)
    print(summary(len(result.files), len(result.slos), len(result.problems)))
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def summary(files: int, slos: int, problems: int) -> str:
    """'8 files, 8 SLOs valid, 0 problems' (singular where it reads better)."""
    return f"{_count(files, 'file')}, {_count(slos, 'SLO')} valid, {_count(problems, 'problem')}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
