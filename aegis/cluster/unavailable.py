"""The answer of a replica that cannot reach the shared database: WARN, with the reason.

Never its last known decision (it may be stale, and an ALLOW that stale is what a gate must not
give) and never an evaluation of its own (the owner may be evaluating too, and this one could not
be audited). Made by the engine from a measurement that failed (so every field reads as in any WARN for
missing data), with the replica's reason as the only reason; its id is in no audit, since no
audit could be reached.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from aegis.engine.model import Evaluation
from aegis.engine.policy import evaluate
from aegis.metrics.base import Measurement
from aegis.scheduler.timing import utc_now
from aegis.spec.model import SLO

ERROR_KIND = "shared_database_unavailable"


def unavailable_evaluation(slo: SLO, reason: str, now: datetime | None = None) -> Evaluation:
    at = now or utc_now()
    measurement = Measurement(at=at, error=reason, error_kind=ERROR_KIND)
    warn = evaluate(slo, measurement, evaluation_id=str(uuid.uuid4()), now=at)
    return replace(warn, reasons=(reason,))
