"""Write the next audit-schema revision from what aegis/store/_schema.py says differently from head.

    make migration m="add replica leases"
    .venv/bin/python scripts/new_revision.py "add replica leases"

Upgrades a scratch SQLite database to head, lets alembic's autogenerate compare it
with ``aegis.store._schema.metadata`` and writes
``aegis/store/migrations/versions/rev_NNNN_<slug>.py`` with the next number, its
``down_revision`` set to the current head. Then read and finish it (docs/audit.md,
"Adding a revision"): autogenerate does not see CHECK constraints or data changes,
and a revision is frozen once released.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy.engine import URL

from aegis.store import database, migrate


def next_revision_id() -> str:
    return f"{int(migrate.head()) + 1:04d}"


def new_revision(message: str, versions_dir: Path | None = None) -> Path:
    """The path of the new revision file (in ``versions_dir`` if given, for tests)."""
    with tempfile.TemporaryDirectory(prefix="aegis-revision-") as scratch:
        engine = database.create(URL.create("sqlite", database=str(Path(scratch) / "head.db")))
        try:
            migrate.upgrade(engine)
            with engine.connect() as connection:
                config = migrate.alembic_config(connection)
                if versions_dir is not None:
                    shipped = migrate.MIGRATIONS_DIR / "versions"
                    config.set_main_option("path_separator", "os")
                    config.set_main_option("version_locations", f"{shipped}{os.pathsep}{versions_dir}")
                script = command.revision(
                    config,
                    message=message,
                    autogenerate=True,
                    rev_id=next_revision_id(),
                    version_path=None if versions_dir is None else str(versions_dir),
                )
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):
        raise RuntimeError(f"alembic wrote no single revision for {message!r}")
    return Path(script.path)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print('usage: scripts/new_revision.py "what the revision does"', file=sys.stderr)
        return 2
    print(f"wrote {new_revision(argv[0].strip())}: read it, finish it, then run the tests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
