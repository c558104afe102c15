"""The Dockerfile's own instructions, carried out in a directory instead of a container engine.

No Docker engine runs here, yet the image's install and start commands must be proven to work.
So the Dockerfile is parsed with BuildKit's parser (the ``dockerfile`` package) and replayed:
each stage gets a root directory standing in for ``/``; WORKDIR, COPY (through .dockerignore),
ENV, VOLUME, ENTRYPOINT, CMD and HEALTHCHECK are applied as Docker applies them; RUN lines that
call ``scripts/install.sh`` run for real with ``sh -c``. Absolute paths that the image or the
container names (in its ENV, ENTRYPOINT, CMD, a compose file's environment and command) are rebased
under the root; the base environment's (the host's PATH entries, pip's settings) are left alone.
Stages are built at
the same root path in turn, so a virtualenv copied with ``COPY --from`` keeps the absolute path
its scripts were written for, as in the real image.

Not emulated, and said so: the base image (the host's python3 stands in: same Python minor and
Debian release), the user switch, and RUN lines that set up the OS (useradd, chown); those are
returned in ``Image.skipped`` so a test can check that only the final stage has any.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dockerfile

from tests.container._dockerignore import DockerIgnore

# What a RUN may do for real: the shared install script, and nothing else.
INSTALL_SCRIPT = "scripts/install.sh"
_VARIABLE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
# Host variables a build passes on, as a CI machine's docker build would have them: pip's
# configuration (index, cache, certificates) and proxies.
_PASSED_THROUGH = re.compile(r"^(PIP_.*|(?i:https?_proxy|no_proxy)|SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE)$")


class Unsupported(Exception):
    """An instruction this emulation cannot carry out faithfully: extend it, do not skip it."""


def expand(word: str, env: Mapping[str, str]) -> str:
    """Docker's word processing for ENV/WORKDIR/COPY: quotes removed, ``$VAR``/``${VAR}`` expanded."""
    out, quote, i = [], "", 0
    while i < len(word):
        char = word[i]
        if quote != "'" and char == "\\" and i + 1 < len(word):
            out.append(word[i + 1])
            i += 2
            continue
        if char in "'\"" and quote in ("", char):
            quote = "" if quote else char
        elif char == "$" and quote != "'" and (match := _VARIABLE.match(word, i)):
            out.append(env.get(match["braced"] or match["bare"], ""))
            i = match.end()
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


@dataclass
class Image:
    """What `docker build` would have produced, as far as starting a container goes."""

    root: Path
    env: dict[str, str]
    workdir: str
    entrypoint: list[str]
    cmd: list[str]
    healthcheck: list[str]
    volumes: list[str]
    exposed: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (stage, RUN line) not carried out

    def host_path(self, container_path: str) -> Path:
        return self.root / container_path.lstrip("/")

    def rebase(self, value: str) -> str:
        """A container path (or ``--flag=PATH``) as the host sees it; anything else unchanged."""
        if value.startswith("--") and "=" in value:
            flag, _, rest = value.partition("=")
            return f"{flag}={self.rebase(rest)}"
        return str(self.host_path(value)) if value.startswith("/") else value

    def process_env(
        self, base: Mapping[str, str], container: Mapping[str, str], overrides: Mapping[str, str]
    ) -> dict[str, str]:
        """``base`` as is, then the image's and the container's variables (rebased), then ``overrides``."""
        inherited = set(base.get("PATH", "").split(os.pathsep))
        env = dict(base)
        for name, value in {**self.env, **container}.items():
            if name == "PATH":
                parts = value.split(os.pathsep)
                env[name] = os.pathsep.join(p if p in inherited else self.rebase(p) for p in parts)
            else:
                env[name] = self.rebase(value)
        env.update(overrides)
        return env

    def argv(self, command: list[str] | None = None) -> list[str]:
        """ENTRYPOINT + CMD (or a compose ``command`` in CMD's place), paths rebased."""
        return [self.rebase(arg) for arg in [*self.entrypoint, *(self.cmd if command is None else command)]]


def base_env() -> dict[str, str]:
    """The environment a fresh image starts from: the official python image's, on this host.

    HOME stays the host's, so pip's cache there plays the part of the build's cache mount.
    """
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", "HOME": os.environ.get("HOME", "/")}
    env.update({name: value for name, value in os.environ.items() if _PASSED_THROUGH.match(name)})
    return env


class _Stage:
    def __init__(self, name: str, root: Path, base: dict[str, str]) -> None:
        self.name, self.root, self.base = name, root, base
        self.env: dict[str, str] = {}  # what the Dockerfile sets
        self.workdir = "/"
        self.args: dict[str, str] = {}
        self.image = Image(root, self.env, "/", [], [], [], [], [])

    def host(self, path: str) -> Path:
        absolute = path if path.startswith("/") else os.path.join(self.workdir, path)
        return self.root / os.path.normpath(absolute).lstrip("/")


class Builder:
    """Replays one Dockerfile against a build context into ``root``."""

    def __init__(self, context: Path, dockerfile_path: Path, root: Path) -> None:
        self.context, self.path, self.root = context, dockerfile_path, root
        self.ignore = DockerIgnore.of_context(context)
        self.finished: dict[str, Path] = {}

    def build(self, timeout: float) -> Image:
        stage: _Stage | None = None
        skipped: list[tuple[str, str]] = []
        for command in dockerfile.parse_file(str(self.path)):
            if command.cmd == "FROM":
                stage = self._next_stage(stage, command.value)
            elif command.cmd == "ARG":
                self._arg(stage, command.value)
            elif stage is None:
                raise Unsupported(f"line {command.start_line}: {command.cmd} before FROM")
            elif command.cmd == "RUN":
                if INSTALL_SCRIPT in command.value[0]:
                    self._run(stage, command.value[0], timeout)
                else:
                    skipped.append((stage.name, command.value[0]))
            else:
                self._apply(stage, command)
        if stage is None:
            raise Unsupported("no FROM in the Dockerfile")
        for kept in self.finished.values():
            shutil.rmtree(kept)
        image = stage.image
        image.workdir, image.skipped = stage.workdir, skipped
        return image

    def _next_stage(self, previous: _Stage | None, value: tuple[str, ...]) -> _Stage:
        if previous is not None:
            # Later stages are built at the same root path, like the real image's "/".
            kept = self.root.with_name(f"{self.root.name}.stage-{previous.name}")
            self.root.rename(kept)
            self.finished[previous.name] = kept
        self.root.mkdir(parents=True)
        name = value[2] if len(value) == 3 and value[1].upper() == "AS" else str(len(self.finished))
        return _Stage(name, self.root, base_env())

    def _arg(self, stage: _Stage | None, value: tuple[str, ...]) -> None:
        name, _, default = value[0].partition("=")
        if stage is not None:
            stage.args[name] = default

    def _apply(self, stage: _Stage, command: dockerfile.Command) -> None:
        handler = {
            "WORKDIR": self._workdir,
            "ENV": self._env,
            "COPY": self._copy,
            "VOLUME": self._volume,
            "ENTRYPOINT": self._exec_form,
            "CMD": self._exec_form,
            "HEALTHCHECK": self._healthcheck,
            "EXPOSE": lambda s, c: s.image.exposed.extend(c.value),
            "LABEL": lambda s, c: None,
            "USER": lambda s, c: None,  # the emulation runs as the test's own user
        }.get(command.cmd)
        if handler is None:
            raise Unsupported(f"line {command.start_line}: {command.original}: not emulated here")
        handler(stage, command)

    def _workdir(self, stage: _Stage, command: dockerfile.Command) -> None:
        target = expand(command.value[0], {**stage.args, **stage.env})
        stage.workdir = os.path.normpath(os.path.join(stage.workdir, target))
        stage.host(stage.workdir).mkdir(parents=True, exist_ok=True)

    def _env(self, stage: _Stage, command: dockerfile.Command) -> None:
        values = command.value
        for name, raw in zip(values[::2], values[1::2], strict=True):
            stage.env[name] = expand(raw, {**stage.base, **stage.args, **stage.env})

    def _volume(self, stage: _Stage, command: dockerfile.Command) -> None:
        for path in command.value:
            stage.host(path).mkdir(parents=True, exist_ok=True)
            stage.image.volumes.append(path)

    def _exec_form(self, stage: _Stage, command: dockerfile.Command) -> None:
        if not command.json:
            raise Unsupported(f"line {command.start_line}: {command.cmd} in shell form; use the JSON form")
        target = stage.image.entrypoint if command.cmd == "ENTRYPOINT" else stage.image.cmd
        target[:] = command.value

    def _healthcheck(self, stage: _Stage, command: dockerfile.Command) -> None:
        kind, *rest = command.value
        if kind != "CMD" or not command.json:
            raise Unsupported(f"line {command.start_line}: HEALTHCHECK must be CMD in the exec form")
        stage.image.healthcheck = rest

    def _copy(self, stage: _Stage, command: dockerfile.Command) -> None:
        flags = dict(flag.removeprefix("--").partition("=")[::2] for flag in command.flags)
        *sources, dest = (expand(word, {**stage.args, **stage.env}) for word in command.value)
        from_root = self.finished[flags["from"]] if "from" in flags else None
        into_dir = dest.endswith("/") or len(sources) > 1
        for source in sources:
            if any(char in source for char in "*?["):
                raise Unsupported(f"line {command.start_line}: wildcards in COPY")
            origin = from_root / source.lstrip("/") if from_root else self.context / source
            target = stage.host(dest)
            checked = from_root is None
            if origin.is_dir():
                self._copy_tree(origin, target, checked=checked)
            else:
                self._copy_file(origin, target / origin.name if into_dir else target, checked=checked)

    def _copy_tree(self, origin: Path, target: Path, *, checked: bool) -> None:
        for path in sorted(origin.rglob("*")):
            if path.is_file() or path.is_symlink():
                self._copy_file(path, target / path.relative_to(origin), checked=checked)

    def _copy_file(self, origin: Path, target: Path, *, checked: bool) -> None:
        if checked:
            relative = origin.relative_to(self.context).as_posix()
            if self.ignore.excluded(relative):
                return  # not in the build context: the real build would not see it either
        if not origin.exists() and not origin.is_symlink():
            raise FileNotFoundError(f"COPY source {origin} does not exist")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target, follow_symlinks=False)

    def _run(self, stage: _Stage, line: str, timeout: float) -> None:
        env = stage.image.process_env(stage.base, {**stage.args, **stage.env}, {})
        result = subprocess.run(
            ["/bin/sh", "-c", line], cwd=stage.host(stage.workdir), env=env,
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if result.returncode != 0:
            output = f"{result.stdout}\n{result.stderr}"
            raise AssertionError(f"RUN {line} failed with exit status {result.returncode}:\n{output}")
