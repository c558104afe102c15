"""The one reload seam: everything configured from files is read again on SIGHUP or when it changes.

Each source (SLO files; the API keys, backends, notifications and TLS files) is a ``Reloadable``: it can tell
cheaply (by ``stat``) whether its files changed since it last read them, and read them again.
The ``Reloader`` runs them in order, one reload at a time, for a SIGHUP (``reload_all``: every
source, changed or not) and every ``interval`` seconds (``poll``: only the sources that changed,
and those that depend on one that did: SLO files are checked again when the backends change).

A source never raises for bad content: it keeps what is in force, says why (``problem``, listed
by ``/readyz``) and logs it once per change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal, Protocol, TypeVar

from aegis._tasks import cancel_and_wait
from aegis.scheduler.timing import SystemTime, Timer
from aegis.telemetry import Telemetry

_T = TypeVar("_T")

# changed: what is in force changed; unchanged: read again, same result; failed: refused, the
# previous version stays in force.
ReloadResult = Literal["changed", "unchanged", "failed"]


class Offload(Protocol):
    """Runs blocking work (reading, parsing) away from the event loop: ``asyncio.to_thread``."""

    def __call__(self, work: Callable[[], _T], /) -> Awaitable[_T]: ...


class Reloadable(Protocol):
    @property
    def name(self) -> str:
        """A short label for logs and metrics: ``slo_files``, ``api_keys``, ``backends``."""
        ...

    @property
    def requires(self) -> tuple[str, ...]:
        """Sources whose change makes this one reload too (what it reads depends on them)."""
        ...

    @property
    def problem(self) -> str | None:
        """Why the last reload was refused (an older version is in force); None when it was not."""
        ...

    async def changed(self) -> bool:
        """Whether the files differ from what was last read; cheap enough to ask every few seconds."""
        ...

    async def reload(self) -> ReloadResult:
        """Read the files again and put the result in force; never raises for bad content."""
        ...


class Reloader:
    def __init__(
        self,
        sources: Sequence[Reloadable],
        *,
        interval: float,
        telemetry: Telemetry | None = None,
        timer: Timer | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.sources = tuple(sources)
        self._interval = interval
        self._telemetry = telemetry or Telemetry()
        self._timer = timer or SystemTime()
        self._logger = logger or logging.getLogger(__name__)
        self._lock = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None
        self._requested: set[asyncio.Task[dict[str, ReloadResult]]] = set()
        self._stopped = False

    def add(self, source: Reloadable) -> None:
        """One more source, read after the others (the server adds its TLS files when it is built)."""
        self.sources = (*self.sources, source)

    def problems(self) -> list[str]:
        return [source.problem for source in self.sources if source.problem]

    async def reload_all(self) -> dict[str, ReloadResult]:
        """Every source, changed or not (SIGHUP: the operator says the files are ready)."""
        return await self._run(forced=True)

    async def poll(self) -> dict[str, ReloadResult]:
        """Only the sources whose files changed, and those that depend on them."""
        return await self._run(forced=False)

    def request(self) -> None:
        """``reload_all`` soon, from a signal handler; reloads queue up, one at a time."""
        if self._stopped:
            return  # shutting down: a SIGHUP now changes nothing
        task = asyncio.get_running_loop().create_task(self.reload_all(), name="reload")
        self._requested.add(task)
        task.add_done_callback(self._requested.discard)

    def start(self) -> None:
        """Poll every ``interval`` seconds (0: only on SIGHUP)."""
        if self._interval > 0 and self._watcher is None:
            self._watcher = asyncio.create_task(self._watch(), name="reload-watcher")

    async def stop(self) -> None:
        self._stopped = True
        tasks: list[asyncio.Task[object]] = [*self._requested]
        if self._watcher is not None:
            tasks.append(self._watcher)
            self._watcher = None
        await cancel_and_wait(*tasks)

    async def _watch(self) -> None:
        while True:
            await self._timer.sleep(self._interval)
            try:
                await self.poll()
            except Exception:
                self._logger.exception("checking configuration files for changes failed")

    async def _run(self, *, forced: bool) -> dict[str, ReloadResult]:
        async with self._lock:
            results: dict[str, ReloadResult] = {}
            for source in self.sources:
                depends = any(results.get(name) == "changed" for name in source.requires)
                if not (forced or depends or await source.changed()):
                    continue
                try:
                    results[source.name] = await source.reload()
                except Exception:
                    # A bug, not bad content: what is in force stays, and the next change retries.
                    self._logger.exception("reloading %s failed", source.name)
                    results[source.name] = "failed"
                self._telemetry.reloaded(source.name, results[source.name])
            return results
