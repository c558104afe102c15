"""One MetricsAdapter over several named backends: each SLO is measured by the backend it names.

The scheduler and the engine still see a single adapter (the port does not change). Behind it each
backend keeps its own HTTP client, connection pool, concurrency limit, answer cache and retry
budget, so a backend that is slow or down turns only its own SLOs to WARN, with its name in the
reason. The set can be replaced while measurements run (the backends file was reloaded): a
measurement ends on the backend it started on, and a backend no longer in the set is closed once
its last measurement is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aegis.metrics.base import Measurement, MetricsAdapter
from aegis.spec.durations import Window
from aegis.spec.model import SLO


@dataclass
class _Slot:
    adapter: MetricsAdapter
    in_flight: int = 0
    retired: bool = False


class BackendRouter:
    def __init__(
        self, backends: Mapping[str, MetricsAdapter], *, logger: logging.Logger | None = None
    ) -> None:
        self._logger = logger or logging.getLogger(__name__)
        self._slots: dict[str, _Slot] = {name: _Slot(adapter) for name, adapter in backends.items()}
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._slots))

    @property
    def backends(self) -> Mapping[str, MetricsAdapter]:
        return {name: slot.adapter for name, slot in self._slots.items()}

    def route(self, slo: SLO) -> MetricsAdapter | None:
        """The backend that answers ``slo``, for capabilities beyond ``measure`` (a replay's range reads)."""
        slot = self._slots.get(slo.sli.backend)
        return slot.adapter if slot is not None else None

    async def measure(self, slo: SLO, windows: Sequence[Window], at: datetime) -> Measurement:
        name = slo.sli.backend
        slot = self._slots.get(name)
        if slot is None:
            # A last good SLO version may name a backend that a reload removed.
            known = ", ".join(repr(n) for n in self.names)
            error = f"no metric backend named {name!r} is configured (there are {known})"
            return Measurement(at=at, error=error)
        slot.in_flight += 1
        try:
            return await slot.adapter.measure(slo, windows, at)
        finally:
            slot.in_flight -= 1
            if slot.retired and slot.in_flight == 0:
                self._close_later(slot.adapter)

    def replace(self, backends: Mapping[str, MetricsAdapter]) -> None:
        """Put ``backends`` in force; an adapter object already in force keeps its slot (and state)."""
        current = {id(slot.adapter): slot for slot in self._slots.values()}
        self._slots = {name: current.get(id(adapter)) or _Slot(adapter) for name, adapter in backends.items()}
        kept = {id(slot.adapter) for slot in self._slots.values()}
        for slot in current.values():
            if id(slot.adapter) not in kept:
                slot.retired = True
                if slot.in_flight == 0:
                    self._close_later(slot.adapter)

    async def aclose(self) -> None:
        for slot in self._slots.values():
            await slot.adapter.aclose()
        self._slots = {}
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _close_later(self, adapter: MetricsAdapter) -> None:
        task = asyncio.get_running_loop().create_task(self._close(adapter))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, adapter: MetricsAdapter) -> None:
        try:
            await adapter.aclose()
        except Exception:
            self._logger.exception("closing a metric backend that is no longer configured failed")


class BackendRequests(Protocol):
    """What counts requests per backend: the server's Telemetry."""

    def backend_request(self, outcome: str, backend: str = ...) -> None: ...


class NamedRecorder:
    """An AdapterRecorder for one backend: its requests are counted under its name."""

    def __init__(self, recorder: BackendRequests, backend: str) -> None:
        self._recorder = recorder
        self._backend = backend

    def backend_request(self, outcome: str) -> None:
        self._recorder.backend_request(outcome, backend=self._backend)
