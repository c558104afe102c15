"""The server's own metrics, exposed at ``GET /metrics`` in Prometheus text format.

Built around an injected ``CollectorRegistry`` (never the process-global default)
so that every test and every server instance counts on its own. Components take
a ``Telemetry`` and call its methods; ``Telemetry()`` with a fresh registry is
the cheap default, so nothing ever needs a None check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from aegis.spec.model import Decision

if TYPE_CHECKING:
    from aegis.scheduler.listeners import Evaluated


class Telemetry:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._evaluations = Counter(
            "aegis_evaluations",
            "SLO evaluations by SLO and decision.",
            ["slo_id", "decision"],
            registry=self.registry,
        )
        self._audit_failures = Counter(
            "aegis_audit_write_failures",
            "Audit records that could not be written (the decision was still served).",
            registry=self.registry,
        )
        self._audit_dropped = Counter(
            "aegis_audit_dropped",
            "Audit records dropped because the write queue was full.",
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
            "HTTP requests sent to the metrics backend, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self._decision = Gauge(
            "aegis_slo_decision",
            "Latest decision per SLO: 1 ALLOW, 2 WARN, 3 BLOCK.",
            ["slo_id"],
            registry=self.registry,
        )

    def evaluation(self, slo_id: str, decision: Decision) -> None:
        self._evaluations.labels(slo_id, decision.name).inc()
        self._decision.labels(slo_id).set(decision.severity)

    def on_evaluation(self, event: Evaluated) -> None:
        """As an evaluation listener: count it and publish the SLO's latest decision."""
        self.evaluation(event.slo.id, event.evaluation.decision)

    def audit_write_failed(self) -> None:
        self._audit_failures.inc()

    def audit_dropped(self) -> None:
        self._audit_dropped.inc()

    def adapter_failed(self, slo_id: str) -> None:
        self._adapter_failures.labels(slo_id).inc()

    def backend_request(self, outcome: str) -> None:
        self._backend_requests.labels(outcome).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
