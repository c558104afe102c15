"""The ``aegis`` command: one argparse subcommand per module.

Adding a command means writing a module with ``register(subcommands)`` that
adds its parser and sets ``run`` (``Namespace -> int``) as a default, then
listing that ``register`` in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from aegis import __version__
from aegis.cli import db, validate

COMMANDS: tuple[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...] = (
    validate.register,
    db.register,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aegis",
        description="AegisSLO tools: check SLO definitions before a release gate loads them; "
        "inspect and upgrade the audit database.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for register in COMMANDS:
        register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns the exit code (0 ok, 1 findings, 2 usage error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        # argparse exits for --help (0) and bad flags (2); hand the code back instead.
        return exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 2
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:
        parser.print_usage(sys.stderr)
        print("aegis: error: a command is required (try: aegis validate --dir DIR)", file=sys.stderr)
        return 2
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
