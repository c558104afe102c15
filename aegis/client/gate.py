"""The release-gate question for a pipeline: one SLO, or every SLO of a service (worst decision wins).

Works over any client with the three calls (``AegisClient``, ``RestClient``), so ``aegis gate``
gives the same verdict over gRPC and REST:

    verdict = check(client, GateTarget(service="checkout", environment="production"))
    if not verdict.passed(fail_on=Decision.WARN):
        raise SystemExit(verdict.summary())
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aegis.client.deployment import Deployment
from aegis.client.errors import NotFoundError
from aegis.client.results import Decision, Evaluation, ServiceState, SLOSummary

__all__ = ["GateClient", "GateTarget", "Verdict", "check"]


class GateClient(Protocol):
    def decide(
        self,
        slo_id: str,
        *,
        fresh: bool = False,
        dry_run: bool = False,
        deployment: Deployment | None = None,
        timeout: float | None = None,
    ) -> Evaluation: ...

    def service_state(
        self, service: str, environment: str, *, timeout: float | None = None
    ) -> ServiceState: ...

    def list_slos(self, *, timeout: float | None = None) -> tuple[SLOSummary, ...]: ...


@dataclass(frozen=True)
class GateTarget:
    """Exactly one of: an SLO id, or a service and an environment."""

    slo_id: str | None = None
    service: str | None = None
    environment: str | None = None

    def __post_init__(self) -> None:
        if self.slo_id and (self.service or self.environment):
            raise ValueError("name an SLO id, or a service and an environment, not both")
        if not self.slo_id and not (self.service and self.environment):
            raise ValueError("name an SLO id, or a service and an environment")

    def __str__(self) -> str:
        if self.slo_id:
            return self.slo_id
        return f"{self.service}/{self.environment}"


@dataclass(frozen=True)
class Verdict:
    """The decision for a target, why, and the evaluations behind it."""

    target: GateTarget
    decision: Decision
    reasons: tuple[str, ...]
    evaluations: tuple[Evaluation, ...]

    def passed(self, fail_on: Decision = Decision.BLOCK) -> bool:
        """False when the decision is ``fail_on`` or worse (BLOCK always fails)."""
        return self.decision.severity < min(fail_on.severity, Decision.BLOCK.severity)

    @property
    def dry_run(self) -> bool:
        """Some evaluation was answered in dry run (the request's or its SLO's)."""
        return any(evaluation.dry_run for evaluation in self.evaluations)

    @property
    def would_be_decision(self) -> Decision:
        """The decision outside any dry run: the worst of what the policies decided."""
        return Decision.worst(
            [e.would_be_decision or e.decision for e in self.evaluations] or [self.decision]
        )

    def summary(self) -> str:
        """One line: ``BLOCK checkout/production: checkout-latency: BLOCK: rule ...``.

        In dry run: ``ALLOW (dry run; would be BLOCK) checkout-availability: ...``.
        """
        decision = self.decision.name
        if self.dry_run:
            decision += f" (dry run; would be {self.would_be_decision.name})"
        return f"{decision} {self.target}: {'; '.join(self.reasons)}"


@dataclass(frozen=True)
class _Ask:
    """How to ask Decide: fresh or not, in dry run or not, and who asks for what."""

    fresh: bool = False
    dry_run: bool = False
    deployment: Deployment | None = None

    def decide(self, client: GateClient, slo_id: str, timeout: float | None) -> Evaluation:
        return client.decide(
            slo_id, fresh=self.fresh, dry_run=self.dry_run, deployment=self.deployment, timeout=timeout
        )


def check(
    client: GateClient,
    target: GateTarget,
    *,
    fresh: bool = False,
    dry_run: bool = False,
    deployment: Deployment | None = None,
    timeout: float | None = None,
) -> Verdict:
    """Ask the server; ``fresh`` evaluates now instead of answering from the latest evaluation.

    ``dry_run``: the server answers ALLOW and says what it would have answered
    (``Evaluation.would_be_decision``). ``deployment``: who asks and for what, recorded with each
    gate request in the server's audit. Both go with Decide, so a service's SLOs are then asked
    one by one (GetServiceState is a read, not a gate request).
    """
    ask = _Ask(fresh, dry_run, deployment or None)
    if target.slo_id:
        evaluation = ask.decide(client, target.slo_id, timeout)
        return Verdict(target, evaluation.decision, evaluation.reasons, (evaluation,))
    assert target.service is not None and target.environment is not None
    if ask == _Ask():
        state = client.service_state(target.service, target.environment, timeout=timeout)
        return Verdict(target, state.decision, state.reasons, state.evaluations)
    return _each_slo(client, target, target.service, target.environment, ask, timeout)


def _each_slo(
    client: GateClient, target: GateTarget, service: str, environment: str, ask: _Ask, timeout: float | None
) -> Verdict:
    """Decide on each SLO of the service (fresh, dry run or with a deployment), worst wins."""
    slos = client.list_slos(timeout=timeout)
    members = [slo.id for slo in slos if (slo.service, slo.environment) == (service, environment)]
    if not members:
        raise NotFoundError(f"no SLO for service {service!r} in environment {environment!r}")
    evaluations = tuple(ask.decide(client, slo_id, timeout) for slo_id in members)
    decision = Decision.worst([e.decision for e in evaluations])
    reasons = tuple(
        f"{e.slo_id}: {e.decision.name}: {'; '.join(e.reasons)}"
        for e in evaluations
        # An SLO answered ALLOW in dry run still says what it would have been.
        if (e.would_be_decision or e.decision) is not Decision.ALLOW
    )
    return Verdict(target, decision, reasons or ("all burn rate checks passed",), evaluations)
