"""The metric backends in force: the flags' ``default`` plus the backends file, reloadable.

A reload builds a client only for a backend that is new or whose settings changed; an unchanged
backend keeps its client (connections, answer cache). The router retires the others once their
running measurements end. A backends file that turned bad is refused whole: the backends in
force stay, the error is logged once and listed by ``/readyz``. When the names change, SLO files
are checked again (an SLO naming a backend that is gone becomes a load problem and keeps its last
good version, which then WARNs, saying so).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence

from aegis.metrics.backends_file import BackendsFileError, BackendSpec, load_backends_file
from aegis.metrics.base import MetricsAdapter
from aegis.metrics.prometheus import PrometheusAdapter
from aegis.metrics.router import BackendRequests, BackendRouter, NamedRecorder
from aegis.metrics.synthetic import FixtureError, SyntheticAdapter
from aegis.reload.reloader import Offload, ReloadResult
from aegis.spec.files import FileStamp, file_stamp
from aegis.spec.model import DEFAULT_BACKEND


class Backends:
    name = "backends"
    requires: tuple[str, ...] = ()

    def __init__(
        self,
        default: BackendSpec,
        path: str | None,
        *,
        recorder: BackendRequests,
        explicit_default: bool = False,
        on_change: Callable[[Backends], None] | None = None,
        logger: logging.Logger | None = None,
        offload: Offload = asyncio.to_thread,
    ) -> None:
        """``explicit_default``: the flags chose the default backend, so the file must not redefine it."""
        self._default = default
        self.path = path
        self._recorder = recorder
        self._explicit_default = explicit_default
        # Told after a reload changed the backends (the evaluator's time limit follows their budgets).
        self.on_change = on_change
        self._logger = logger or logging.getLogger(__name__)
        self._offload = offload
        self._applied: FileStamp | None = None
        self.specs: dict[str, BackendSpec] = {}
        self.router = BackendRouter({}, logger=self._logger)
        self.problem: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.specs))

    def load_initial(self) -> None:
        """At start; BackendsFileError or FixtureError when the configuration cannot be used."""
        specs = self._specs(self._read() if self.path else ())
        adapters = {spec.name: self._build(spec) for spec in specs.values()}
        self.specs = specs
        self.router.replace(adapters)

    def log_in_force(self) -> None:
        for spec in self.specs.values():
            self._logger.info("metric backend %r: %s", spec.name, _describe(spec))

    def longest_budget(self) -> float:
        """The most one evaluation may spend on any backend (the evaluator's hard limit follows it)."""
        budgets = [s.prometheus.evaluation_budget for s in self.specs.values() if s.prometheus is not None]
        return max(budgets, default=0.0)

    async def changed(self) -> bool:
        return self.path is not None and file_stamp(self.path) != self._applied

    async def reload(self) -> ReloadResult:
        if self.path is None:
            return "unchanged"
        adapters: dict[str, MetricsAdapter] = {}
        try:
            specs = self._specs(await self._offload(self._read))
            for name, spec in specs.items():
                adapters[name] = self._reuse_or_build(spec)
        except (BackendsFileError, FixtureError) as err:
            in_force = {id(a) for a in self.router.backends.values()}
            for adapter in adapters.values():
                if id(adapter) not in in_force:
                    await adapter.aclose()
            self._logger.error("metric backends not reloaded, the previous ones stay in force: %s", err)
            self.problem = f"backends file not reloaded, the previous backends stay in force: {err}"
            return "failed"
        self.problem = None
        names = specs.keys() | self.specs.keys()
        changed = sorted(name for name in names if specs.get(name) != self.specs.get(name))
        if not changed:
            return "unchanged"
        self.specs = specs
        self.router.replace(adapters)
        for name in changed:
            now = specs.get(name)
            self._logger.info("metric backend %r: %s", name, _describe(now) if now else "removed")
        if self.on_change is not None:
            self.on_change(self)
        return "changed"

    def _read(self) -> Sequence[BackendSpec]:
        assert self.path is not None
        self._applied = file_stamp(self.path)
        return load_backends_file(self.path)

    def _specs(self, from_file: Sequence[BackendSpec]) -> dict[str, BackendSpec]:
        specs = {DEFAULT_BACKEND: self._default}
        for spec in from_file:
            if spec.name == DEFAULT_BACKEND and self._explicit_default:
                raise BackendsFileError(
                    f"{self.path}: defines a backend named {DEFAULT_BACKEND!r}, and so does --adapter "
                    "prometheus; keep one of them"
                )
            specs[spec.name] = spec
        return specs

    def _reuse_or_build(self, spec: BackendSpec) -> MetricsAdapter:
        if self.specs.get(spec.name) == spec:
            return self.router.backends[spec.name]
        return self._build(spec)

    def _build(self, spec: BackendSpec) -> MetricsAdapter:
        if spec.type == "synthetic":
            assert spec.fixtures is not None
            return SyntheticAdapter.from_directory(spec.fixtures, self._logger)
        assert spec.prometheus is not None
        recorder = NamedRecorder(self._recorder, spec.name)
        return PrometheusAdapter(spec.prometheus, recorder=recorder, logger=self._logger, name=spec.name)

    def fixture_problems(self) -> list[str]:
        """Skipped synthetic fixture files, of every synthetic backend."""
        problems: list[str] = []
        for name, adapter in _synthetic(self.router.backends).items():
            prefix = "" if name == DEFAULT_BACKEND else f"backend {name!r}: "
            problems += [f"{prefix}{problem}" for problem in adapter.problems]
        return problems


def _synthetic(backends: Mapping[str, MetricsAdapter]) -> dict[str, SyntheticAdapter]:
    return {name: a for name, a in sorted(backends.items()) if isinstance(a, SyntheticAdapter)}


def _describe(spec: BackendSpec) -> str:
    if spec.prometheus is not None:
        return f"Prometheus HTTP API at {spec.prometheus.redacted_url}"
    return f"synthetic fixtures from {spec.fixtures}"
