"""The composition root: builds every component once and wires them together.

Nothing else constructs adapters, stores or schedulers, so tests can build an
Application with their own settings (ports 0, temp files) and get exactly what
production runs.
"""

from __future__ import annotations

import logging
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import timedelta

from aegis.auth import KeyFileError, Keyring, load_keys
from aegis.cluster import Cluster
from aegis.config import Settings
from aegis.lifecycle import Lifecycle
from aegis.metrics.backends_file import BackendsFileError, BackendSpec
from aegis.metrics.base import MetricsAdapter
from aegis.metrics.synthetic import FixtureError
from aegis.notify import NotificationsConfig, NotificationsConfigError, Notifier, build_notifier
from aegis.reload import KeysFile, Reloadable, Reloader, ReloadResult, SLOFiles
from aegis.reload.backends import Backends
from aegis.reload.notifications_file import NotificationsFile
from aegis.replay.service import Replayer
from aegis.scheduler import (
    CatalogChange,
    EvaluationClaims,
    EvaluationListener,
    Evaluator,
    LatestInMemory,
    LatestStates,
    Ownership,
    Scheduler,
    SLOCatalog,
)
from aegis.spec.loader import SpecDirectoryError, SpecProblem
from aegis.spec.model import DEFAULT_BACKEND
from aegis.store import database
from aegis.store.base import AuditStore
from aegis.store.retention import AuditRetention
from aegis.store.sql import AuditStoreOpenError, SQLAuditStore
from aegis.store.writer import AuditWriter
from aegis.telemetry import Telemetry

# Seconds the audit flush gets at shutdown even when the drain used up the grace, and the most
# that queued notifications get.
_AUDIT_FLUSH_MIN = 2.0
_NOTIFY_FLUSH_MAX = 2.0


class ConfigurationError(Exception):
    """Settings that cannot start a server; the message is one line for the operator."""


@dataclass
class Readiness:
    ready: bool
    # How many SLOs the server serves (v0.1.0's `slosLoaded`), ready or not.
    slos_loaded: int
    reasons: list[str] = field(default_factory=list)


class Application:
    def __init__(self, settings: Settings, *, logger: logging.Logger | None = None) -> None:
        self.settings = settings
        self.logger = logger or logging.getLogger("aegis")
        self.telemetry = Telemetry()
        # Backends and store first: a bad setting there is reported before anything is logged.
        self.backends = _build_backends(settings, self.telemetry, self.logger)
        # One adapter for the scheduler: it routes each SLO to the backend it names.
        self.adapter: MetricsAdapter = self.backends.router
        self.notifier: Notifier | None = _build_notifier(settings, self.telemetry, self.logger)
        self.store: AuditStore
        sql_store, schema_note = _open_store(settings)
        self.store = sql_store
        # None: no keys file, every RPC is open (the quick start).
        self.keyring: Keyring | None = _load_keyring(settings)
        self.lifecycle = Lifecycle()
        self.catalog = SLOCatalog(logger=self.logger)
        self.slo_files = SLOFiles(
            settings.slo_dir,
            self.catalog,
            backends=lambda: self.backends.names,
            telemetry=self.telemetry,
            logger=self.logger,
        )
        _load_specs(self.slo_files)
        self.keys_file = KeysFile(self.keyring, logger=self.logger) if self.keyring is not None else None
        self.reloader = self._build_reloader()
        # The journal: each evaluation is durable in the audit before anyone sees it.
        self.audit = AuditWriter(
            self.store, self.telemetry, wait=settings.audit_commit_wait, logger=self.logger
        )
        self.retention = (
            AuditRetention(
                self.store, timedelta(seconds=settings.audit_retention), self.telemetry, logger=self.logger
            )
            if settings.audit_retention
            else None
        )
        self.evaluator = Evaluator(
            self.adapter,
            telemetry=self.telemetry,
            timeout=_evaluation_timeout(settings, self.backends),
            logger=self.logger,
        )
        self.backends.on_change = self._backends_changed
        # On PostgreSQL every replica shares ownership and the latest decisions (docs/replicas.md).
        self.cluster = Cluster.for_engine(
            sql_store.engine,
            self.catalog,
            replica_id=settings.replica_id,
            lease=settings.replica_lease,
            evaluation_timeout=self.evaluator.timeout,
            logger=self.logger,
        )
        self.latest: LatestStates = LatestInMemory() if self.cluster is None else self.cluster.latest
        ownership: Ownership | None = None if self.cluster is None else self.cluster.membership
        claims: EvaluationClaims | None = None if self.cluster is None else self.cluster.claims
        # Every evaluation goes to each listener, in this order (the latest cache is always first).
        self.listeners: list[EvaluationListener] = [self.telemetry]
        if self.notifier is not None:
            self.listeners.append(self.notifier)
        self.scheduler = Scheduler(
            self.catalog,
            self.evaluator,
            latest=self.latest,
            listeners=self.listeners,
            journal=self.audit,
            ownership=ownership,
            claims=claims,
            logger=self.logger,
        )
        if self.cluster is not None:
            self.cluster.membership.on_gained = self._ownership_gained
            if self.notifier is not None:
                self.cluster.membership.on_lost = self._ownership_lost
        self.catalog.subscribe(self._forget_removed)
        # Replays read history through the same adapter; they never touch the scheduler or the audit.
        self.replayer = Replayer(self.adapter, max_seconds=settings.replay_timeout)
        if schema_note:
            self.logger.info("%s", schema_note)
        self.backends.log_in_force()

    @property
    def spec_problems(self) -> tuple[SpecProblem, ...]:
        return self.catalog.problems

    def _build_reloader(self) -> Reloader:
        """Everything configured from files, in the order a reload reads it: SLO files after the
        backends, since whether an SLO loads depends on them."""
        sources: list[Reloadable] = [self.keys_file] if self.keys_file is not None else []
        sources += [self.backends, self.slo_files]
        if self.notifier is not None and self.settings.notifications_file:
            path = self.settings.notifications_file
            sources.append(NotificationsFile(path, self.notifier, self.telemetry, logger=self.logger))
        interval = self.settings.slo_reload_interval
        return Reloader(sources, interval=interval, telemetry=self.telemetry, logger=self.logger)

    def _backends_changed(self, backends: Backends) -> None:
        self.evaluator.timeout = _evaluation_timeout(self.settings, backends)

    @property
    def fixture_problems(self) -> list[str]:
        """Skipped synthetic fixture files: listed beside SLO file problems, so an operator sees both."""
        return self.backends.fixture_problems()

    async def start(self) -> None:
        self.audit.start()
        if self.notifier is not None:
            # Before the first evaluation: a restart must not announce every SLO as a change.
            await self.notifier.restore(self.store, list(self.catalog.entries))
            self.notifier.start()
        if self.retention is not None:
            self.retention.start()
        if self.cluster is not None:
            self.cluster.start()
        self.scheduler.start()
        self.reloader.start()

    async def stop(self, grace: float | None = None) -> None:
        """Stop evaluating (running evaluations get ``grace``), then drain the audit, then notifications.

        The audit gets at least a couple of seconds whatever is left of the grace: a healthy
        store flushes in milliseconds, and a record dropped here is an evaluation lost.
        """
        await self.reloader.stop()
        await self.scheduler.stop(grace)
        if self.cluster is not None:
            await self.cluster.stop()
        if self.retention is not None:
            await self.retention.stop()
        await self.audit.stop(max(self.settings.shutdown_grace if grace is None else grace, _AUDIT_FLUSH_MIN))
        if self.notifier is not None:
            await self.notifier.stop(grace=_NOTIFY_FLUSH_MAX)
        await self.adapter.aclose()
        await self.store.aclose()

    async def reload(self) -> dict[str, ReloadResult]:
        """Read every file-configured thing again: API keys, backends, SLO files, notifications (SIGHUP).

        What is in force stays wherever a file turned bad; ``/readyz`` says which.
        """
        return await self.reloader.reload_all()

    def request_reload(self) -> None:
        """``reload`` soon: what the SIGHUP handler calls (it cannot await)."""
        self.reloader.request()

    def reload_keys(self) -> None:
        """Re-read the API keys file only, at once; a file that turned bad keeps the keys in force."""
        if self.keys_file is not None:
            self.keys_file.reload_now()

    def readiness(self) -> Readiness:
        loaded = len(self.catalog)
        if self.lifecycle.draining:
            return Readiness(False, loaded, ["shutting down"])
        reasons = [f"SLO file problem: {problem}" for problem in self.catalog.problems]
        reasons += [
            f"SLO {slo_id} runs its last good version: {entry.slo.source_file} no longer loads"
            for slo_id, entry in self.catalog.entries.items()
            if entry.load_error is not None
        ]
        reasons += self.reloader.problems()
        reasons += [f"synthetic fixture problem: {problem}" for problem in self.fixture_problems]
        cluster_problems = self.cluster.problems() if self.cluster is not None else []
        audit = self.audit.health
        if not audit.writable:
            reasons.insert(
                0,
                f"audit store unavailable for {audit.down_for:.0f}s: {audit.problem}; decisions are still "
                f"served, {audit.queued} record(s) waiting, {audit.dropped} dropped",
            )
        if cluster_problems:
            return Readiness(False, loaded, [*cluster_problems, *reasons])
        if not loaded:
            return Readiness(False, loaded, [f"no SLO loaded from {self.settings.slo_dir}", *reasons])
        pending = self.scheduler.not_yet_evaluated()
        if pending:
            return Readiness(False, loaded, [f"not evaluated yet: {', '.join(pending)}", *reasons])
        return Readiness(audit.writable, loaded, reasons)

    def _ownership_gained(self, slo_ids: AbstractSet[str]) -> None:
        """SLOs another replica evaluated until now: look at their slots at once, and measure the next
        decision change from the last decision that replica made, not from this one's stale memory."""
        self.scheduler.ownership_gained(slo_ids)
        if self.notifier is None or self.cluster is None:
            return
        for slo_id in slo_ids:
            latest = self.cluster.latest.known(slo_id)
            if latest is not None:
                self.notifier.seed(latest)

    def _ownership_lost(self, slo_ids: AbstractSet[str]) -> None:
        if self.notifier is not None:
            for slo_id in slo_ids:
                self.notifier.release(slo_id)

    def _forget_removed(self, change: CatalogChange) -> None:
        for slo_id in change.removed:
            self.telemetry.forget_slo(slo_id)
            if self.notifier is not None:
                self.notifier.forget(slo_id)


def _load_specs(slo_files: SLOFiles) -> None:
    try:
        slo_files.load_initial()
    except SpecDirectoryError as err:
        raise ConfigurationError(str(err)) from err


def _load_keyring(settings: Settings) -> Keyring | None:
    if settings.api_keys_file is None:
        return None
    try:
        return Keyring(load_keys(settings.api_keys_file), source=settings.api_keys_file)
    except KeyFileError as err:
        raise ConfigurationError(str(err)) from err


def _build_backends(settings: Settings, telemetry: Telemetry, logger: logging.Logger) -> Backends:
    """The flags' backend as ``default``, plus the backends file's (docs/operations.md)."""
    backends = Backends(
        _default_backend(settings),
        settings.backends_file,
        recorder=telemetry,
        explicit_default=settings.adapter == "prometheus",
        logger=logger,
    )
    try:
        backends.load_initial()
    except (BackendsFileError, FixtureError) as err:
        raise ConfigurationError(str(err)) from err
    return backends


def _default_backend(settings: Settings) -> BackendSpec:
    if settings.adapter == "synthetic":
        return BackendSpec(DEFAULT_BACKEND, "synthetic", fixtures=settings.synthetic_fixtures)
    if settings.adapter == "prometheus":
        from aegis.metrics.prometheus_config import PrometheusConfig

        try:
            config = PrometheusConfig.from_options(settings.prometheus_url, settings.prometheus_options)
        except ValueError as err:
            raise ConfigurationError(str(err)) from err
        return BackendSpec(DEFAULT_BACKEND, "prometheus", prometheus=config)
    raise ConfigurationError(f"unknown adapter {settings.adapter!r}; expected synthetic or prometheus")


def _evaluation_timeout(settings: Settings, backends: Backends) -> float:
    """The scheduler's hard stop must leave every backend its whole retry budget."""
    return max(settings.evaluation_timeout, backends.longest_budget() + 15.0)


def _build_notifier(settings: Settings, telemetry: Telemetry, logger: logging.Logger) -> Notifier | None:
    if not settings.notifications_file:
        return None
    try:
        config = NotificationsConfig.load(settings.notifications_file)
    except NotificationsConfigError as err:
        raise ConfigurationError(str(err)) from err
    logger.info(
        "notifying decision changes to %d webhook(s)%s",
        len(config.webhooks),
        f" and Alertmanager at {', '.join(config.alertmanager.urls)}" if config.alertmanager else "",
    )
    return build_notifier(config, telemetry, logger)


def _open_store(settings: Settings) -> tuple[SQLAuditStore, str | None]:
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
