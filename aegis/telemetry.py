"""The server's own metrics, exposed at ``GET /metrics`` in Prometheus text format.

Built around an injected ``CollectorRegistry`` (never the process-global default)
so that every test and every server instance counts on its own. Components take
a ``Telemetry`` and call its methods; ``Telemetry()`` with a fresh registry is
the cheap default, so nothing ever needs a None check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from aegis.spec.model import Decision

if TYPE_CHECKING:
    from aegis.scheduler.listeners import Evaluated


# From a cached decision (about a millisecond) to a fresh evaluation near its budget (30 s and more).
_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Telemetry:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._evaluations = Counter(
            "aegis_evaluations",
            "SLO evaluations by SLO and decision.",
            ["slo_id", "decision"],
            registry=self.registry,
        )
        self._evaluation_seconds = Histogram(
            "aegis_evaluation_duration_seconds",
            "Time one evaluation took: reading the metrics backend and deciding.",
            ["slo_id"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self._last_evaluation = Gauge(
            "aegis_slo_last_evaluation_timestamp_seconds",
            "Unix time of each SLO's latest evaluation (alert when it falls behind).",
            ["slo_id"],
            registry=self.registry,
        )
        self._adapter_errors = Counter(
            "aegis_adapter_errors",
            "Evaluations whose metrics read failed, by SLO and kind (timeout, rejected, ...).",
            ["slo_id", "kind"],
            registry=self.registry,
        )
        self._slo_load_errors = Gauge(
            "aegis_slo_load_errors",
            "SLO files that failed to load at the last (re)load.",
            registry=self.registry,
        )
        self._audit_failures = Counter(
            "aegis_audit_write_failures",
            "Audit records the store refused (e.g. a duplicate id); the decision was still served.",
            registry=self.registry,
        )
        self._audit_dropped = Counter(
            "aegis_audit_dropped",
            "Audit records lost: the queue was full while the store was down, or shutdown came first.",
            registry=self.registry,
        )
        self._audit_commits = Counter(
            "aegis_audit_commits",
            "Audit transactions committed (each holds a group of records, one fsync).",
            registry=self.registry,
        )
        self._audit_records = Counter(
            "aegis_audit_records_written",
            "Audit records committed.",
            registry=self.registry,
        )
        self._audit_batch = Histogram(
            "aegis_audit_batch_size",
            "Records per audit commit.",
            buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
            registry=self.registry,
        )
        self._audit_commit_failures = Counter(
            "aegis_audit_commit_failures",
            "Audit commits that failed because of the store (full disk, read-only, lost connection).",
            registry=self.registry,
        )
        self._audit_unconfirmed = Counter(
            "aegis_audit_unconfirmed",
            "Evaluations published before their audit record was durable (store down or too slow).",
            registry=self.registry,
        )
        self._audit_queue = Gauge(
            "aegis_audit_queue_depth",
            "Audit records waiting to be committed.",
            registry=self.registry,
        )
        self._audit_up = Gauge(
            "aegis_audit_store_up",
            "1 while the audit store accepts writes, 0 during an outage.",
            registry=self.registry,
        )
        self._audit_pruned = Counter(
            "aegis_audit_pruned_records",
            "Audit records deleted by retention.",
            registry=self.registry,
        )
        self._audit_prune_failures = Counter(
            "aegis_audit_prune_failures",
            "Retention passes that stopped on a store error.",
            registry=self.registry,
        )
        self._notifications = Counter(
            "aegis_notifications_sent",
            "Notifications delivered, by sink (a webhook's name, or alertmanager).",
            ["sink"],
            registry=self.registry,
        )
        self._notification_failures = Counter(
            "aegis_notification_failures",
            "Notifications given up on after every retry, by sink.",
            ["sink"],
            registry=self.registry,
        )
        self._notifications_dropped = Counter(
            "aegis_notifications_dropped",
            "Notifications dropped because the sink's queue was full (a slow or dead receiver).",
            ["sink"],
            registry=self.registry,
        )
        self._adapter_failures = Counter(
            "aegis_adapter_failures",
            "Evaluations whose metrics adapter raised or timed out.",
            ["slo_id"],
            registry=self.registry,
        )
        self._backend_requests = Counter(
            "aegis_metrics_backend_requests",
            "HTTP requests sent to metric backends, by backend (its name in the backends file) and outcome.",
            ["backend", "outcome"],
            registry=self.registry,
        )
        self._decision = Gauge(
            "aegis_slo_decision",
            "Latest decision per SLO: 1 ALLOW, 2 WARN, 3 BLOCK.",
            ["slo_id"],
            registry=self.registry,
        )

        self._requests = Counter(
            "aegis_requests",
            "Calls answered, by method, surface (grpc or rest) and gRPC status code.",
            ["method", "surface", "code"],
            registry=self.registry,
        )
        self._requests_in_flight = Gauge(
            "aegis_requests_in_flight",
            "Calls in the request pipeline right now, by method and surface.",
            ["method", "surface"],
            registry=self.registry,
        )
        self._in_flight_children: dict[tuple[str, str], Gauge] = {}
        self._request_children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
        self._request_seconds = Histogram(
            "aegis_request_duration_seconds",
            "Time from a call entering the request pipeline to its outcome.",
            ["method", "surface", "code"],
            buckets=_REQUEST_BUCKETS,
            registry=self.registry,
        )
        self._reloads = Counter(
            "aegis_reloads",
            "Configuration reloads (SIGHUP, or a change seen by polling) by source "
            "(slo_files, api_keys, backends) and result (changed, unchanged, failed: the previous stays).",
            ["source", "result"],
            registry=self.registry,
        )
        self._slos_on_last_good = Gauge(
            "aegis_slos_on_last_good_version",
            "SLOs evaluated from their last good version because their file no longer loads.",
            registry=self.registry,
        )

    def request_started(self, method: str, surface: str) -> None:
        self._in_flight_child(method, surface).inc()

    def request_finished(self, method: str, surface: str, code: str, seconds: float) -> None:
        """One call on either surface answered (a request-pipeline interceptor reports it)."""
        self._in_flight_child(method, surface).dec()
        children = self._request_children.get((method, surface, code))
        if children is None:  # .labels() costs a lock and a lookup per metric: once per label set
            children = (
                self._requests.labels(method, surface, code),
                self._request_seconds.labels(method, surface, code),
            )
            self._request_children[(method, surface, code)] = children
        children[0].inc()
        children[1].observe(seconds)

    def _in_flight_child(self, method: str, surface: str) -> Gauge:
        child = self._in_flight_children.get((method, surface))
        if child is None:
            child = self._requests_in_flight.labels(method, surface)
            self._in_flight_children[(method, surface)] = child
        return child

    def evaluation(self, slo_id: str, decision: Decision) -> None:
        self._evaluations.labels(slo_id, decision.name).inc()
        self._decision.labels(slo_id).set(decision.severity)

    def on_evaluation(self, event: Evaluated) -> None:
        """As an evaluation listener: count it, publish the SLO's latest decision and its time."""
        slo_id = event.slo.id
        self.evaluation(slo_id, event.evaluation.decision)
        self._last_evaluation.labels(slo_id).set(event.evaluation.timestamp.timestamp())
        if event.error is not None:
            self._adapter_errors.labels(slo_id, event.error_kind or "unknown").inc()

    def evaluation_duration(self, slo_id: str, seconds: float) -> None:
        self._evaluation_seconds.labels(slo_id).observe(seconds)

    def forget_slo(self, slo_id: str) -> None:
        """A removed SLO's per-SLO gauges go, so dashboards stop showing a ghost."""
        for gauge in (self._decision, self._last_evaluation):
            with contextlib.suppress(KeyError):
                gauge.remove(slo_id)

    def watch_slo_load_errors(self, count: Callable[[], int]) -> None:
        """Read the number of problem files from the catalog at each scrape."""
        self._slo_load_errors.set_function(lambda: float(count()))

    def audit_write_failed(self) -> None:
        self._audit_failures.inc()

    def audit_dropped(self, count: int = 1) -> None:
        self._audit_dropped.inc(count)

    def audit_committed(self, records: int) -> None:
        self._audit_commits.inc()
        self._audit_records.inc(records)
        self._audit_batch.observe(records)

    def audit_commit_failed(self) -> None:
        self._audit_commit_failures.inc()

    def audit_unconfirmed(self) -> None:
        self._audit_unconfirmed.inc()

    def audit_queue_depth(self, depth: int) -> None:
        self._audit_queue.set(depth)

    def audit_store_up(self, up: bool) -> None:
        self._audit_up.set(1 if up else 0)

    def audit_pruned(self, records: int) -> None:
        self._audit_pruned.inc(records)

    def audit_prune_failed(self) -> None:
        self._audit_prune_failures.inc()

    def notification_sent(self, sink: str) -> None:
        self._notifications.labels(sink).inc()

    def notification_failed(self, sink: str) -> None:
        self._notification_failures.labels(sink).inc()

    def notification_dropped(self, sink: str) -> None:
        self._notifications_dropped.labels(sink).inc()

    def adapter_failed(self, slo_id: str) -> None:
        self._adapter_failures.labels(slo_id).inc()

    def backend_request(self, outcome: str, backend: str = "default") -> None:
        self._backend_requests.labels(backend, outcome).inc()

    def reloaded(self, source: str, result: str) -> None:
        self._reloads.labels(source, result).inc()

    def watch_slos_on_last_good(self, count: Callable[[], int]) -> None:
        self._slos_on_last_good.set_function(lambda: float(count()))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
