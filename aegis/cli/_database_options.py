"""``--db`` and ``--db-url``, read the same way by ``aegis-server`` and ``aegis db``."""

from __future__ import annotations

import argparse
from collections.abc import Mapping


def add_database_options(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    parser.add_argument(
        "--db", default=env.get("DB_PATH", "aegis.db"), help="SQLite audit file (DB_PATH; default aegis.db)"
    )
    parser.add_argument(
        "--db-url",
        default=env.get("DATABASE_URL") or None,
        help="SQLAlchemy URL of the audit store, e.g. postgresql+psycopg://... (DATABASE_URL); beats --db",
    )
