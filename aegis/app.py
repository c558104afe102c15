"""The composition root: builds every component once and wires them together.

Nothing else constructs adapters, stores or schedulers, so tests can build an
Application with their own settings (ports 0, temp files) and get exactly what
production runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aegis.auth import KeyFileError, Keyring, load_keys
from aegis.config import Settings
from aegis.lifecycle import Lifecycle
from aegis.metrics.base import MetricsAdapter
from aegis.metrics.synthetic import SyntheticAdapter
from aegis.replay.service import Replayer
from aegis.scheduler import EvaluationListener, Evaluator, LatestInMemory, Scheduler, SLOCatalog
from aegis.spec.loader import LoadResult, SpecDirectoryError, SpecProblem, load_directory
from aegis.store import database
from aegis.store.base import AuditStore
from aegis.store.sql import AuditStoreOpenError, SQLAuditStore
from aegis.store.writer import AuditWriter
from aegis.telemetry import Telemetry


class ConfigurationError(Exception):
    """Settings that cannot start a server; the message is one line for the operator."""


@dataclass
class Readiness:
    ready: bool
    reasons: list[str] = field(default_factory=list)


class Application:
    def __init__(self, settings: Settings, *, logger: logging.Logger | None = None) -> None:
        self.settings = settings
        self.logger = logger or logging.getLogger("aegis")
        self.telemetry = Telemetry()
        # Adapter and store first: a bad setting there is reported before anything is logged.
        self.adapter: MetricsAdapter = _build_adapter(settings, self.telemetry, self.logger)
        # Skipped fixture files: listed beside SLO file problems, so an operator sees both.
        self.fixture_problems = self.adapter.problems if isinstance(self.adapter, SyntheticAdapter) else ()
        self.store: AuditStore
        self.store, schema_note = _open_store(settings)
        # None: no keys file, every RPC is open (the quick start).
        self.keyring: Keyring | None = _load_keyring(settings)
        self.lifecycle = Lifecycle()
        spec: LoadResult = _load_specs(settings, self.logger)
        self.catalog = SLOCatalog(spec.slos, spec.problems, logger=self.logger)
        self.audit = AuditWriter(self.store, self.telemetry, logger=self.logger)
        self.evaluator = Evaluator(
            self.adapter, telemetry=self.telemetry, timeout=settings.evaluation_timeout, logger=self.logger
        )
        self.latest = LatestInMemory()
        # Every evaluation goes to each listener, in this order (the latest cache is always first).
        self.listeners: list[EvaluationListener] = [self.telemetry, self.audit]
        self.scheduler = Scheduler(
            self.catalog,
            self.evaluator,
            latest=self.latest,
            listeners=self.listeners,
            logger=self.logger,
        )
        # Replays read history through the same adapter; they never touch the scheduler or the audit.
        self.replayer = Replayer(self.adapter, max_seconds=settings.replay_timeout)
        if schema_note:
            self.logger.info("%s", schema_note)

    @property
    def spec_problems(self) -> tuple[SpecProblem, ...]:
        return self.catalog.problems

    async def start(self) -> None:
        self.audit.start()
        self.scheduler.start()

    async def stop(self, grace: float | None = None) -> None:
        """Stop evaluating (running evaluations get ``grace``), then flush the audit and close."""
        await self.scheduler.stop(grace)
        await self.audit.stop()
        await self.adapter.aclose()
        await self.store.aclose()

    def reload_keys(self) -> None:
        """Re-read the API keys file (SIGHUP); a file that turned bad keeps the keys in force."""
        if self.keyring is None:
            return
        try:
            keys = load_keys(self.keyring.source)
        except KeyFileError as err:
            self.logger.error("API keys not reloaded, the previous ones stay in force: %s", err)
            return
        self.keyring.replace(keys)
        self.logger.info("reloaded %d API key(s) from %s", len(keys), self.keyring.source)

    def readiness(self) -> Readiness:
        if self.lifecycle.draining:
            return Readiness(False, ["shutting down"])
        reasons = [f"SLO file problem: {problem}" for problem in self.catalog.problems]
        reasons += [f"synthetic fixture problem: {problem}" for problem in self.fixture_problems]
        if not len(self.catalog):
            return Readiness(False, [f"no SLO loaded from {self.settings.slo_dir}", *reasons])
        pending = self.scheduler.not_yet_evaluated()
        if pending:
            return Readiness(False, [f"not evaluated yet: {', '.join(pending)}", *reasons])
        return Readiness(True, reasons)


def _load_specs(settings: Settings, logger: logging.Logger) -> LoadResult:
    try:
        result = load_directory(settings.slo_dir)
    except SpecDirectoryError as err:
        raise ConfigurationError(str(err)) from err
    for problem in result.problems:
        logger.error("SLO file problem: %s", problem)
    logger.info("loaded %d SLO(s) from %s", len(result.slos), settings.slo_dir)
    return result


def _load_keyring(settings: Settings) -> Keyring | None:
    if settings.api_keys_file is None:
        return None
    try:
        return Keyring(load_keys(settings.api_keys_file), source=settings.api_keys_file)
    except KeyFileError as err:
        raise ConfigurationError(str(err)) from err


def _build_adapter(settings: Settings, telemetry: Telemetry, logger: logging.Logger) -> MetricsAdapter:
    if settings.adapter == "synthetic":
        from aegis.metrics.synthetic import FixtureError

        try:
            return SyntheticAdapter.from_directory(settings.synthetic_fixtures, logger)
        except FixtureError as err:
            raise ConfigurationError(str(err)) from err
    if settings.adapter == "prometheus":
        from aegis.metrics.prometheus import PrometheusAdapter
        from aegis.metrics.prometheus_config import PrometheusConfig

        try:
            config = PrometheusConfig.from_options(settings.prometheus_url, settings.prometheus_options)
        except ValueError as err:
            raise ConfigurationError(str(err)) from err
        logger.info("reading metrics from Prometheus at %s", config.redacted_url)
        return PrometheusAdapter(config, recorder=telemetry, logger=logger)
    raise ConfigurationError(f"unknown adapter {settings.adapter!r}; expected synthetic or prometheus")


def _open_store(settings: Settings) -> tuple[AuditStore, str | None]:
    """The store, and what opening it did to the schema (to log once start-up cannot fail)."""
    try:
        url = database.parse_url(settings.db_url) if settings.db_url else database.target_url(settings.db)
        opened = database.open_engine(url, settings.db_upgrade)
    except AuditStoreOpenError as err:
        # The message already names the database, with any password hidden.
        raise ConfigurationError(str(err)) from err
    upgrade = opened.upgrade
    note = None
    if upgrade is not None and upgrade.changed:
        note = f"audit database {database.shown(url)}: {database.describe_upgrade(upgrade)}"
    return SQLAuditStore(opened.engine), note
