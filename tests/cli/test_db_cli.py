"""``aegis db`` and the server's schema check at start, as an operator meets them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from aegis.cli.main import main
from aegis.cli.server import parse_settings
from aegis.store import database, migrate
from tests._postgres import PostgresServer, create_database
from tests.conftest import FIXTURES, ROOT
from tests.store._v010 import ROWS, create_v010_database

HEAD = migrate.head()


def _aegis(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aegis.cli.main", *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env={**os.environ, **(env or {})},
    )  # fmt: skip


def _server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aegis.cli.server", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0",
         "--slo-dir", str(FIXTURES / "slo" / "valid"), "--synthetic-fixtures", str(FIXTURES / "metrics"),
         *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip


def _stamp(url: str, revision: str) -> None:
    """Pretend the schema is at ``revision`` (upgrading first if it has none)."""
    engine = database.create(database.target_url(url))
    try:
        if not migrate.status(engine).current:
            migrate.upgrade(engine)
        with engine.begin() as connection:
            update = sa.text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = :v")
            connection.execute(update, {"v": revision})
    finally:
        engine.dispose()


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_db_upgrade_end_to_end_on_a_sqlite_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "aegis.db")
    assert main(["db", "check", "--db", db]) == 2
    assert "no SQLite database at" in _one_line(capsys.readouterr().err)
    assert not Path(db).exists(), "inspecting must not create a database"

    # The installed command, once, as a real process; the rest in-process (same code path).
    upgraded = _aegis("db", "upgrade", "--db", db)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout == f"sqlite:///{db}: schema upgraded from none to {HEAD} (head)\n"

    with pytest.MonkeyPatch.context() as env:
        env.setenv("DB_PATH", db)
        assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"sqlite:///{db}: schema already at {HEAD} (head)\n"
    assert main(["db", "current", "--db", db]) == 0
    assert capsys.readouterr().out == f"sqlite:///{db}: schema revision {HEAD} (head)\n"
    assert main(["db", "check", "--db", db]) == 0


def test_db_upgrade_imports_a_v010_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "aegis.db"
    create_v010_database(db)
    assert main(["db", "check", "--db", str(db)]) == 1
    assert "AegisSLO v0.1.0 database" in capsys.readouterr().err
    assert main(["db", "upgrade", "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert f"schema upgraded from none to {HEAD} (head); {len(ROWS)} v0.1.0 record(s) imported" in out
    assert err == f"aegis db: importing {len(ROWS)} v0.1.0 audit record(s); v0.1.0's tables stay unchanged\n"


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        ([], {}, "auto"),
        ([], {"DB_UPGRADE": "never"}, "never"),
        (["--db-upgrade", "always"], {"DB_UPGRADE": "never"}, "always"),
    ],
)
def test_server_schema_policy_comes_from_flag_or_environment(
    argv: list[str], env: dict[str, str], expected: str
) -> None:
    assert parse_settings(argv, env).db_upgrade == expected


def test_server_refuses_an_unknown_schema_policy(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_settings(["--db-upgrade", "sometimes"], {})
    assert exited.value.code == 2
    assert "argument --db-upgrade: invalid choice: 'sometimes'" in _one_line(capsys.readouterr().err)


def test_db_check_says_what_is_wrong_with_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "aegis.db")
    main(["db", "upgrade", "--db", db])
    capsys.readouterr()
    _stamp(db, "0001")
    assert main(["db", "check", "--db", db]) == 1
    assert capsys.readouterr().err == (
        f"sqlite:///{db}: schema revision 0001, behind this AegisSLO's {HEAD}; run `aegis db upgrade`\n"
    )
    _stamp(db, "9999")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")  # beats --db/DB_PATH, like the server
    assert main(["db", "check", "--db", "elsewhere.db"]) == 2
    assert "schema revision 9999 is unknown to this AegisSLO" in capsys.readouterr().err
    assert main(["db", "upgrade"]) == 2
    assert _one_line(capsys.readouterr().err).startswith(f"aegis db: error: audit database sqlite:///{db}:")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["db"], "an action is required"),
        (["db", "current", "--db-url", "not a url"], "not a database URL"),
        (["db", "upgrade", "--db-url", "nosuchdialect://x/y"], "nosuchdialect"),
        (
            ["db", "upgrade", "--db-url", "postgresql://aegis:s3cret@127.0.0.1:1/audit"],
            "postgresql+psycopg://aegis:***@127.0.0.1:1/audit",
        ),
        (["db", "upgrade", "--db", "/nonexistent-dir/aegis.db"], "does the directory exist"),
    ],
    ids=["no_action", "not_a_url", "unknown_dialect", "unreachable_postgres", "missing_directory"],
)
def test_db_errors_are_one_line_and_exit_2(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert line.startswith("aegis db: error: ") and expected in line
    assert "s3cret" not in err and out == ""


def test_server_refuses_a_schema_from_a_newer_version(tmp_path: Path) -> None:
    db = str(tmp_path / "aegis.db")
    _stamp(db, "9999")
    result = _server("--db", db)
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert line.startswith(f"aegis-server: error: audit database sqlite:///{db}: schema revision 9999")


@pytest.mark.postgres
def test_postgres_replicas_need_an_explicit_upgrade(
    postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = postgres_server.url(create_database(postgres_server, f"cli_{uuid.uuid4().hex[:12]}"))
    refused = _server("--db-url", url)
    assert refused.returncode == 2
    assert "no AegisSLO schema yet: run `aegis db upgrade`" in _one_line(refused.stderr)

    assert main(["db", "check", "--db-url", url]) == 1
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", url)
        assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.endswith(f"schema upgraded from none to {HEAD} (head)\n")
    assert main(["db", "check", "--db-url", url]) == 0
