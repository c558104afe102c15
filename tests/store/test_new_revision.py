"""`make migration`: a schema edit becomes the next numbered revision that rebuilds it exactly."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from aegis.store import database, migrate
from aegis.store._schema import UTCDateTime, metadata

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "new_revision.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("new_revision", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def schema_with_a_new_table() -> Iterator[sa.Table]:
    """What an engineer does first: declare the table in _schema.py (here, for this test only)."""
    table = sa.Table(
        "replica_leases",
        metadata,
        sa.Column("slo_id", sa.String, primary_key=True),
        sa.Column("owner", sa.String, nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Index("ix_replica_leases_owner", "owner"),
    )
    try:
        yield table
    finally:
        metadata.remove(table)


def test_new_revision_writes_the_next_revision_that_builds_the_new_schema(
    tmp_path: Path, schema_with_a_new_table: sa.Table
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    path = _load_script().new_revision("add replica leases", versions_dir=versions)

    following = f"{int(migrate.head()) + 1:04d}"
    assert path.name == f"rev_{following}_add_replica_leases.py"
    written = path.read_text()
    assert f"down_revision: str | None = '{migrate.head()}'" in written
    assert "sa.DateTime(timezone=True)" in written and "aegis" not in written.split('"""')[-1]

    engine = database.create(sa.make_url(f"sqlite:///{tmp_path / 'audit.db'}"))
    try:
        with engine.begin() as connection:
            config = migrate.alembic_config(connection)
            config.set_main_option("path_separator", "os")
            shipped = migrate.MIGRATIONS_DIR / "versions"
            config.set_main_option("version_locations", f"{shipped}{os.pathsep}{versions}")
            command.upgrade(config, "head")
            context = MigrationContext.configure(
                connection,
                opts={"include_object": migrate.include_object, "version_table": migrate.VERSION_TABLE},
            )
            assert context.get_current_heads() == (following,)
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
