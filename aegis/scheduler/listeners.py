"""Where evaluations go once made and journaled: every output listens on one list (httpx's hooks).

The latest-result cache, the server's metrics and notifications are all listeners; the audit is
the journal, which has each evaluation before any listener does. The scheduler calls each in
turn; a listener must be quick and must not raise (work that takes time is queued by the
listener itself), and one that raises anyway is logged and skipped so the others still hear it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aegis.engine.model import Evaluation
from aegis.spec.model import SLO


@dataclass(frozen=True)
class Evaluated:
    """One evaluation and what it was made from."""

    slo: SLO
    evaluation: Evaluation
    # The data-source error behind it (e.g. a rejected query); None when the read was clean.
    error: str | None = None
    # Its kind, a short label for metrics (timeout, connection_error, rejected, ...).
    error_kind: str | None = None


class EvaluationListener(Protocol):
    def on_evaluation(self, event: Evaluated) -> None: ...


def notify_all(listeners: Sequence[EvaluationListener], event: Evaluated, logger: logging.Logger) -> None:
    for listener in listeners:
        try:
            listener.on_evaluation(event)
        except Exception:
            logger.exception(
                "listener %s failed on evaluation %s of %s",
                type(listener).__name__,
                event.evaluation.evaluation_id,
                event.slo.id,
            )
