"""What a test needs from the machine, and the one policy for when it is missing.

Without a tool a developer's run skips the test; under CI=true the same gap is
a missing install step in `make test`, so it fails instead. Every helper that
looks for a binary, a server or installed packages goes through ``missing``.
"""

from __future__ import annotations

import os
import shutil
import socket
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def missing(reason: str) -> NoReturn:
    """Skip for ``reason``; fail under CI=true, where nothing may be missing."""
    if IN_CI:
        pytest.fail(f"{reason}; CI=true requires it")
    pytest.skip(reason)


def require_binary(name: str, *candidates: str) -> str:
    """Path of an external tool, found on PATH or at one of ``candidates`` (absolute paths)."""
    for candidate in (name, *candidates):
        found = shutil.which(candidate) or (candidate if os.path.isfile(candidate) else None)
        if found:
            return found
    missing(f"{name} is not installed (make test installs it)")


def free_port() -> int:
    """A loopback port that was free a moment ago, for servers that cannot bind port 0 themselves."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
