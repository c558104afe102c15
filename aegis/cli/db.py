"""``aegis db upgrade|current|check``: the audit database's schema version.

``upgrade`` brings the schema to this version's head and imports v0.1.0 history;
several at once are safe (each waits for the database's migration lock).
``current`` prints where the schema is. ``check`` is for deploy pipelines and
init containers: exit 0 when this version can serve the database, 1 when
``aegis db upgrade`` would make it so, 2 when it cannot (a newer schema, a
database that cannot be reached). Each prints one line; errors go to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from aegis.cli._database_options import add_database_options


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "db",
        help="inspect or upgrade the audit database schema",
        description="Inspect or upgrade the audit database schema (versioned migrations).",
    )
    parser.set_defaults(run=_no_action)
    actions = parser.add_subparsers(title="actions", metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    add_database_options(common, os.environ)
    for name, text in (
        ("upgrade", "bring the schema to this version (imports v0.1.0 history)"),
        ("current", "print the schema revision of the database"),
        ("check", "exit 0 if this version can serve the database, 1 if it needs an upgrade"),
    ):
        action = actions.add_parser(name, parents=[common], help=text, description=text[0].upper() + text[1:])
        action.set_defaults(run=_action(name))


def _action(name: str) -> Callable[[argparse.Namespace], int]:
    """``aegis.cli._db_actions.run_<name>``, imported only when that action runs."""

    def run(args: argparse.Namespace) -> int:
        from aegis.cli import _db_actions

        action: Callable[[argparse.Namespace], int] = getattr(_db_actions, f"run_{name}")
        return action(args)

    return run


def _no_action(args: argparse.Namespace) -> int:
    usage = "aegis db upgrade | current | check [--db PATH | --db-url URL]"
    print(f"aegis db: error: an action is required: {usage}", file=sys.stderr)
    return 2
