"""``aegis-server`` as a real child process on free ports, for tests that kill it."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from aegis.api.server import LISTENING_PATTERN
from tests.conftest import FIXTURES, ROOT


@dataclass
class ServerProcess:
    process: asyncio.subprocess.Process
    url: str
    log: list[str]


@contextlib.asynccontextmanager
async def server_process(db: Path, *extra: str) -> AsyncIterator[ServerProcess]:
    """Started, listening and ready; killed (if still alive) on exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aegis.cli.server", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0",
        "--db", str(db), "--slo-dir", str(FIXTURES / "slo" / "valid"),
        "--synthetic-fixtures", str(FIXTURES / "metrics"), *extra,
        cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    log: list[str] = []
    reader = asyncio.create_task(_read(process, log))
    try:
        url = await _listening(process, log)
        async with httpx.AsyncClient(base_url=url) as client:
            for _ in range(500):
                if (await client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.02)
        yield ServerProcess(process, url, log)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        await reader


async def _read(process: asyncio.subprocess.Process, log: list[str]) -> None:
    assert process.stderr is not None
    async for line in process.stderr:
        log.append(line.decode(errors="replace").rstrip("\n"))


async def _listening(process: asyncio.subprocess.Process, log: list[str]) -> str:
    for _ in range(1500):
        for line in list(log):
            match = LISTENING_PATTERN.search(line)
            if match:
                return f"http://127.0.0.1:{match['http']}"
        if process.returncode is not None:
            break
        await asyncio.sleep(0.02)
    raise AssertionError(f"the server never said where it listens: {log}")
