"""What ``aegis audit verify`` does (``aegis.cli.audit`` holds the flags and the exit codes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from aegis.cli.audit import EXIT_BROKEN, EXIT_ERROR, EXIT_OK, report_json
from aegis.store import database, migrate
from aegis.store.database import AuditStoreOpenError
from aegis.store.verify import verify_chain


def run(args: argparse.Namespace) -> int:
    expected: tuple[int, str] | None = None
    if args.expect_head:
        sequence, _, hash_ = args.expect_head.partition(":")
        if not sequence.isdigit() or len(hash_) != 64:
            return _error(f"--expect-head must be SEQUENCE:HASH (64 hex digits), got {args.expect_head!r}")
        expected = (int(sequence), hash_.lower())
    try:
        url = database.parse_url(args.db_url) if args.db_url else database.target_url(str(args.db))
    except AuditStoreOpenError as err:
        return _error(str(err))
    # Verifying must never create an empty SQLite file where a path was mistyped.
    if database.is_sqlite_file(url) and not Path(str(url.database)).is_file():
        return _error(f"no SQLite database at {url.database}")
    try:
        engine = database.create(url)
    except AuditStoreOpenError as err:
        return _error(str(err))
    try:
        status = migrate.status(engine)
        if not status.up_to_date:
            hint = "" if status.ahead else "; run `aegis db upgrade` (it seals older records into the chain)"
            return _error(f"audit database {database.shown(url)}: {status.describe()}{hint}")
        report = verify_chain(engine, expected_head=expected)
    except SQLAlchemyError as err:
        return _error(database.failure_message(url, err))
    finally:
        engine.dispose()
    if args.output == "json":
        print(report_json(report))
    else:
        print(f"{database.shown(url)}: {report.summary()}")
    return EXIT_OK if report.intact else EXIT_BROKEN


def _error(message: str) -> int:
    print(f"aegis audit verify: error: {message}", file=sys.stderr)
    return EXIT_ERROR
