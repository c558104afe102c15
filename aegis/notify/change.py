"""A decision change: what every receiver is told, and the JSON webhooks get.

The webhook body (``version`` 1) is stable: fields may be added, none change meaning.

    {"version": 1, "event": "decision_changed", "sloID": "checkout-fast-burn",
     "service": "checkout", "environment": "production",
     "previousDecision": "ALLOW", "decision": "BLOCK",
     "reasons": ["..."], "evaluationID": "0b0c...", "timestamp": "2026-11-27T10:30:00.123456Z"}

``previousDecision`` is null the first time an SLO with no audit history is seen (announced
only when that first decision is not ALLOW). ``evaluationID`` is the audit record: the
receiver can fetch the whole evidence with ``GET /v1/audit``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from aegis.engine.model import Evaluation
from aegis.spec.model import Decision

PAYLOAD_VERSION = 1
EVENT = "decision_changed"


@dataclass(frozen=True)
class DecisionChange:
    slo_id: str
    service: str
    environment: str
    previous: Decision | None
    decision: Decision
    reasons: tuple[str, ...]
    evaluation_id: str
    timestamp: datetime

    @classmethod
    def of(cls, evaluation: Evaluation, previous: Decision | None) -> DecisionChange:
        return cls(
            slo_id=evaluation.slo_id,
            service=evaluation.service,
            environment=evaluation.environment,
            previous=previous,
            decision=evaluation.decision,
            reasons=evaluation.reasons,
            evaluation_id=evaluation.evaluation_id,
            timestamp=evaluation.timestamp,
        )

    def describe(self) -> str:
        """For logs: ``checkout-fast-burn ALLOW -> BLOCK``."""
        before = self.previous.name if self.previous is not None else "none"
        return f"{self.slo_id} {before} -> {self.decision.name}"

    def to_json(self) -> bytes:
        """The webhook body, compact UTF-8 JSON (the exact bytes the signature covers)."""
        document = {
            "version": PAYLOAD_VERSION,
            "event": EVENT,
            "sloID": self.slo_id,
            "service": self.service,
            "environment": self.environment,
            "previousDecision": None if self.previous is None else self.previous.name,
            "decision": self.decision.name,
            "reasons": list(self.reasons),
            "evaluationID": self.evaluation_id,
            "timestamp": rfc3339(self.timestamp),
        }
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def rfc3339(moment: datetime) -> str:
    """UTC with microseconds and a Z, as the REST surface prints times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
