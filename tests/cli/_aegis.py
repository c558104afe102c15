"""Run the ``aegis`` command as a user would, and the same command in-process where speed matters.

A child process is the real thing (entry point, exit status, output streams) and is what the
exit-code tests use; each one costs an interpreter start, so the wider matrix runs ``main()``
in a worker thread with the same argv, environment and captured streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
from dataclasses import dataclass
from unittest import mock

from aegis.cli.main import main
from tests.conftest import ROOT


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def _environment(env: dict[str, str] | None) -> dict[str, str]:
    # The runner's own CI variables would become the deployment context of every `aegis gate`.
    ours = ("AEGIS_", "GITHUB_", "GITLAB_", "CI_")
    base = {key: value for key, value in os.environ.items() if not key.startswith(ours)}
    return {**base, **(env or {})}


async def aegis(*args: str, env: dict[str, str] | None = None, process: bool = False) -> Ran:
    """``aegis ARGS``, without blocking the event loop the live server answers on."""
    if not process:
        return await asyncio.to_thread(_in_process, list(args), _environment(env))
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aegis.cli.main",
        *args,
        cwd=ROOT,
        env=_environment(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await child.communicate()
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    return Ran(child.returncode or 0, out.decode(), err.decode())


def _in_process(argv: list[str], env: dict[str, str]) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, env, clear=True),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(argv)
    return Ran(code, out.getvalue(), err.getvalue())
