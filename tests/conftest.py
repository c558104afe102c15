"""Shared fixtures: a real server (gRPC + REST) on free loopback ports.

The server is the production composition (Application + Server) on the shipped
fixtures, with a real SQLite file; only the ports (0) and the paths differ.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from hypothesis import settings as hypothesis_settings

from aegis.api.server import Server
from aegis.app import Application
from aegis.config import Settings
from tests._postgres import PostgresServer, postgres_bin_dir_or_skip, running_postgres
from tests._requirements import IN_CI, require_binary

__all__ = ["IN_CI", "require_binary"]

# No per-example deadline: speed belongs in `make bench`, and a busy 2-core CI
# machine must not turn a slow example into a failure.
hypothesis_settings.register_profile("aegis", deadline=None, print_blob=True)
hypothesis_settings.load_profile("aegis")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@dataclass
class LiveServer:
    server: Server
    rest: httpx.AsyncClient
    channel: grpc.aio.Channel

    @property
    def app(self) -> Application:
        return self.server.app

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.server.grpc_port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.server.http_port}"


def default_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 0,
        "grpc_port": 0,
        "slo_dir": str(FIXTURES / "slo" / "valid"),
        "adapter": "synthetic",
        "synthetic_fixtures": str(FIXTURES / "metrics"),
        "db": str(tmp / "audit.db"),
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def wait_ready(rest: httpx.AsyncClient, attempts: int = 500) -> None:
    for _ in range(attempts):
        response = await rest.get("/readyz")
        if response.status_code == 200:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"server never became ready: {response.text}")


async def start_live(settings: Settings) -> LiveServer:
    server = Server(Application(settings))
    await server.start()
    rest = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.http_port}", timeout=10)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}")
    await wait_ready(rest)
    return LiveServer(server, rest, channel)


async def stop_live(live: LiveServer) -> None:
    await live.rest.aclose()
    await live.channel.close()
    await live.server.stop(grace=0.5)


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("live")


@pytest.fixture(scope="session")
async def live(session_tmp: Path) -> AsyncIterator[LiveServer]:
    """One server on the embedded default for the whole session."""
    server = await start_live(default_settings(session_tmp))
    yield server
    await stop_live(server)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL for the session; each test area creates its own databases in it."""
    with running_postgres(postgres_bin_dir_or_skip()) as server:
        yield server
