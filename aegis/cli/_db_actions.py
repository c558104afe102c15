"""What ``aegis db upgrade|current|check`` do (``aegis.cli.db`` holds the flags and help).

Kept apart so that ``aegis validate`` does not import SQLAlchemy and alembic.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from aegis.store import database, migrate
from aegis.store.database import AuditStoreOpenError

EXIT_OK = 0
EXIT_NEEDS_UPGRADE = 1
EXIT_ERROR = 2

T = TypeVar("T")


class _Failure(Exception):
    """One line for stderr."""


def run_upgrade(args: argparse.Namespace) -> int:
    # A long v0.1.0 import reports its progress on stderr.
    progress = logging.StreamHandler(sys.stderr)
    progress.setFormatter(logging.Formatter("aegis db: %(message)s"))
    logger = logging.getLogger("aegis.cli.db")
    logger.addHandler(progress)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        url = _url(args, must_exist=False)
        result = _with_engine(url, lambda engine: migrate.upgrade(engine, logger))
    except _Failure as failure:
        return _error(str(failure))
    finally:
        logger.removeHandler(progress)
    print(f"{database.shown(url)}: {database.describe_upgrade(result)}")
    return EXIT_OK


def run_current(args: argparse.Namespace) -> int:
    try:
        url = _url(args, must_exist=True)
        status = _with_engine(url, migrate.status)
    except _Failure as failure:
        return _error(str(failure))
    print(_status_line(url, status))
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    try:
        url = _url(args, must_exist=True)
        status = _with_engine(url, migrate.status)
    except _Failure as failure:
        return _error(str(failure))
    line = _status_line(url, status)
    if status.up_to_date:
        print(line)
        return EXIT_OK
    print(line, file=sys.stderr)
    return EXIT_ERROR if status.ahead else EXIT_NEEDS_UPGRADE


def _status_line(url: URL, status: migrate.SchemaStatus) -> str:
    line = f"{database.shown(url)}: {status.describe()}"
    if not status.up_to_date and not status.ahead:
        line += "; run `aegis db upgrade`"
    return line


def _url(args: argparse.Namespace, *, must_exist: bool) -> URL:
    try:
        # --db-url must be a URL; --db may be either (as for aegis-server).
        url = database.parse_url(args.db_url) if args.db_url else database.target_url(str(args.db))
    except AuditStoreOpenError as err:
        raise _Failure(str(err)) from err
    # Reading must not leave an empty SQLite file behind where a path was mistyped.
    if must_exist and database.is_sqlite_file(url) and not Path(str(url.database)).is_file():
        raise _Failure(f"no SQLite database at {url.database} (`aegis db upgrade` creates one)")
    return url


def _with_engine(url: URL, action: Callable[[Engine], T]) -> T:
    try:
        engine = database.create(url)
    except AuditStoreOpenError as err:
        raise _Failure(str(err)) from err
    try:
        return action(engine)
    except SQLAlchemyError as err:
        raise _Failure(database.failure_message(url, err)) from err
    except migrate.SchemaError as err:
        raise _Failure(f"audit database {database.shown(url)}: {err}") from err
    finally:
        engine.dispose()


def _error(message: str) -> int:
    print(f"aegis db: error: {message}", file=sys.stderr)
    return EXIT_ERROR
