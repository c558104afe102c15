"""The ``aegis`` command: one argparse subcommand per module.

Adding a command means writing a module with ``register(subcommands)`` that
adds its parser and sets ``run`` (``Namespace -> int``) as a default, then
listing that ``register`` in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, cast

from aegis import __version__
from aegis.cli import audit, convert, db, explain, gate, replay, rules, validate

COMMANDS: tuple[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...] = (
    validate.register,
    convert.register,
    rules.register,
    gate.register,
    explain.register,
    replay.register,
    db.register,
    audit.register,
)

EXIT_USAGE = 2


class CommandParser(argparse.ArgumentParser):
    """A subcommand's parser; ``usage_exit`` is its exit code for a bad command line.

    argparse exits 2 on usage errors, but for ``aegis gate`` 2 means "WARN with --fail-on warn":
    such a command passes ``usage_exit=3`` to ``add_parser`` so a typo never reads as a verdict.
    """

    def __init__(self, *args: Any, usage_exit: int = EXIT_USAGE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.usage_exit = usage_exit

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aegis",
        description="AegisSLO tools: check SLO files, convert OpenSLO and Sloth files, export Prometheus "
        "rules, ask the gate from a pipeline, explain a decision, replay the policy on history, inspect "
        "and upgrade the audit database.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subcommands = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=CommandParser),
    )
    for register in COMMANDS:
        register(subcommands)
    for command_parser in subcommands.choices.values():
        # Unknown flags are found after the subcommand has parsed: main() reports them through it.
        command_parser.set_defaults(command_parser=command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns its exit code (each command documents its own)."""
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:
            reporter: argparse.ArgumentParser = getattr(args, "command_parser", parser)
            reporter.error(f"unrecognized arguments: {' '.join(unknown)}")
    except SystemExit as exit_:
        # argparse exits for --help (0) and bad flags (2); hand the code back instead.
        return exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 2
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:
        parser.print_usage(sys.stderr)
        print("aegis: error: a command is required (try: aegis validate --dir DIR)", file=sys.stderr)
        return EXIT_USAGE
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
