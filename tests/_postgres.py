"""A throwaway real PostgreSQL server for tests, reusable by any test area.

Plain functions and a context manager (no pytest here except in
``postgres_bin_dir_or_skip``), so any conftest can wrap them in a fixture:

    with running_postgres() as server:
        url = server.url(create_database(server, "mytests"))

The data directory lives in a fresh /tmp directory owned by the ``postgres``
user when running as root (initdb refuses root), and the server listens only on
127.0.0.1 and a Unix socket inside that directory.
"""

from __future__ import annotations

import contextlib
import getpass
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from tests._requirements import free_port, missing

_SEARCH_GLOB = "/usr/lib/postgresql/*/bin"
_START_ATTEMPTS = 3


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    data_dir: Path

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3 driver); trust auth, so no password."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"


def find_postgres_bin_dir() -> Path | None:
    """AEGIS_PG_BIN if set, else the newest Debian-style /usr/lib/postgresql/N/bin."""
    override = os.environ.get("AEGIS_PG_BIN")
    candidates = [Path(override)] if override else _debian_bin_dirs()
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def postgres_bin_dir_or_skip() -> Path:
    """The binaries, or skip the test; with CI=true a missing server fails instead."""
    directory = find_postgres_bin_dir()
    if directory is not None:
        return directory
    missing("PostgreSQL binaries not found (apt-get install postgresql, or set AEGIS_PG_BIN)")


@contextlib.contextmanager
def running_postgres(bin_dir: Path | None = None) -> Iterator[PostgresServer]:
    """initdb + pg_ctl start on a free port; stopped and deleted on exit."""
    bin_dir = bin_dir or find_postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries not found")
    root = Path(tempfile.mkdtemp(prefix="aegis-pg-"))
    data_dir = root / "data"
    try:
        _prepare(root)
        _as_owner(
            [str(bin_dir / "initdb"), "-D", str(data_dir), "--auth=trust", "--no-locale", "-E", "UTF8"],
        )
        port = _start(bin_dir, data_dir, root)
        user = "postgres" if os.geteuid() == 0 else getpass.getuser()
        try:
            yield PostgresServer(host="127.0.0.1", port=port, user=user, data_dir=data_dir)
        finally:
            _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_database(server: PostgresServer, name: str) -> str:
    """CREATE DATABASE ``name`` and return the name."""
    with psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def _debian_bin_dirs() -> list[Path]:
    def version(path: Path) -> int:
        name = path.parent.name
        return int(name) if name.isdigit() else -1

    return sorted((Path(p) for p in glob.glob(_SEARCH_GLOB)), key=version, reverse=True)


def _prepare(root: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
    root.chmod(0o700)


def _start(bin_dir: Path, data_dir: Path, socket_dir: Path) -> int:
    # A free port can be taken between probing and binding; try a few.
    # fsync=off: these servers hold test data only; it saves seconds per run.
    failure = ""
    for _ in range(_START_ATTEMPTS):
        port = free_port()
        options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        result = _as_owner(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data_dir),
                "-l",
                str(socket_dir / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "30",
                "start",
            ],
            check=False,
        )
        if result.returncode == 0:
            return port
        failure = result.stdout + result.stderr + _read(socket_dir / "server.log")
    raise RuntimeError(f"PostgreSQL did not start:\n{failure}")


def _as_owner(command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def stop_server(server: PostgresServer) -> None:
    """Stop a running test server (fast shutdown: clients are cut off), keeping its data."""
    bin_dir = find_postgres_bin_dir()
    assert bin_dir is not None
    _as_owner([str(bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-m", "fast", "-w", "stop"])


def start_server(server: PostgresServer) -> None:
    """Start a server stopped by ``stop_server`` again, on the same port and data."""
    bin_dir = find_postgres_bin_dir()
    assert bin_dir is not None
    socket_dir = server.data_dir.parent
    options = f"-p {server.port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
    _as_owner(
        [
            str(bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-l", str(socket_dir / "server.log"),
            "-o", options, "-w", "-t", "30", "start",
        ]
    )  # fmt: skip
