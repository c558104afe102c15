"""Run a client's own test suite as a child process, on the live server's event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path


async def run_tool(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Exit code and combined output, without blocking the loop the live server answers on.

    A blocking subprocess.run here would deadlock: the child calls the server, and the
    server (grpc.aio) only runs while the loop does.
    """
    process = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await process.communicate()
    finally:
        if process.returncode is None:  # cancelled, e.g. by the per-test timeout
            process.kill()
            await process.wait()
    return process.returncode or 0, out.decode(errors="replace")
