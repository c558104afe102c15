"""``python -m aegis.cli.healthcheck``, the image's HEALTHCHECK, against a live server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from aegis.cli.healthcheck import EXIT_HEALTHY, EXIT_UNHEALTHY, default_url, main
from tests._requirements import free_port
from tests.conftest import LiveServer


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "http://127.0.0.1:8080/healthz"),
        ({"PORT": "9000"}, "http://127.0.0.1:9000/healthz"),
        ({"HOST": "0.0.0.0", "PORT": ""}, "http://127.0.0.1:8080/healthz"),
        ({"HOST": "::", "PORT": "81"}, "http://127.0.0.1:81/healthz"),
        ({"HOST": "10.1.2.3"}, "http://10.1.2.3:8080/healthz"),
        ({"HOST": "::1", "PORT": "81"}, "http://[::1]:81/healthz"),
    ],
)
def test_healthcheck_default_url_follows_the_server_settings(env: dict[str, str], url: str) -> None:
    assert default_url(env) == url


async def _main_off_loop(argv: list[str], env: dict[str, str]) -> int:
    # urllib blocks; the live server answers on this very event loop.
    return await asyncio.to_thread(main, argv, env)


async def test_healthcheck_healthy_on_a_live_server(live: LiveServer) -> None:
    port = str(urlsplit(live.rest_url).port)
    assert await _main_off_loop([], {"HOST": "127.0.0.1", "PORT": port}) == EXIT_HEALTHY


async def test_healthcheck_unhealthy_when_the_url_is_not_200(
    live: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _main_off_loop(["--url", f"{live.rest_url}/nope"], {}) == EXIT_UNHEALTHY
    assert f"{live.rest_url}/nope: HTTP 404" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        ([], {"PORT": "{port}"}, "Connection refused"),
        ([], {"PORT": "eighty"}, "nonnumeric port"),
        (["--url", "not a url"], {}, "unknown url type"),
        (["--timeout", "soon"], {}, "invalid float value"),
    ],
)
def test_healthcheck_failure_is_one_line_and_exit_1(
    argv: list[str], env: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {name: value.replace("{port}", str(free_port())) for name, value in env.items()}
    assert main(argv, env) == EXIT_UNHEALTHY  # Docker reserves 2: every failure is 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_healthcheck_runs_as_a_module_and_imports_only_the_standard_library() -> None:
    """Docker runs it every few seconds: it must not pay for the server's imports."""
    code = (
        "import sys, runpy; sys.argv = ['hc', '--url', 'http://127.0.0.1:1/'];"
        "exit_ = None\n"
        "try: runpy.run_module('aegis.cli.healthcheck', run_name='__main__')\n"
        "except SystemExit as e: exit_ = e.code\n"
        "heavy = [m for m in ('grpc', 'starlette', 'jsonschema', 'sqlalchemy', 'yaml') if m in sys.modules]\n"
        "print(exit_, heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "1 []", result.stderr
