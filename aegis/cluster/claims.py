"""``EvaluationClaims`` on the shared database: one evaluation per slot, one fresh one at a time.

A scheduled evaluation needs the SLO's slot (``aegis_slo_latest.claimed_at``), free once the
previous claim is an interval old; a replica that cannot reach the database cannot claim, so it
stops evaluating instead of evaluating twice. A fresh evaluation (``forceFresh``) needs the SLO's
fresh claim: the replica that gets it evaluates; any other replica asked meanwhile waits for
that evaluation to be published and answers with it, so one evaluation runs across the cluster
and every concurrent caller, on whichever replica, gets its result.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aegis.cluster import _sql
from aegis.cluster.link import DatabaseLink, DatabaseUnavailable
from aegis.cluster.shared_latest import SharedLatest
from aegis.cluster.unavailable import unavailable_evaluation
from aegis.engine.model import Evaluation
from aegis.scheduler.timing import SystemTime, Timer
from aegis.spec.model import SLO

# How often a replica waiting for another's fresh evaluation looks at the table.
_WAIT_POLL = 0.05


class DatabaseClaims:
    def __init__(
        self,
        link: DatabaseLink,
        latest: SharedLatest,
        replica_id: str,
        *,
        fresh_hold: float,
        retry: float,
        timer: Timer | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._link = link
        self._latest = latest
        self._replica_id = replica_id
        # Longest a fresh claim is held: an evaluation's own limit and some; a replica killed
        # while holding one delays the others' fresh answers by at most this.
        self._fresh_hold = fresh_hold
        self._retry = retry
        self._timer = timer or SystemTime()
        self._logger = logger or logging.getLogger(__name__)

    async def claim_slot(self, slo_id: str, interval: float) -> float:
        try:
            engine = self._link.engine
            return await self._link.run(_sql.claim_slot, engine, slo_id, self._replica_id, interval)
        except DatabaseUnavailable:
            return self._retry

    async def fresh(self, slo: SLO, evaluate: Callable[[], Awaitable[Evaluation]]) -> Evaluation:
        deadline = self._timer.monotonic() + self._fresh_hold + 5.0
        engine = self._link.engine
        try:
            while True:
                claim = await self._link.run(
                    _sql.claim_fresh, engine, slo.id, self._replica_id, self._fresh_hold
                )
                if claim.claimed:
                    return await self._run(slo.id, evaluate)
                answer = await self._await_other(slo.id, claim.version, deadline)
                if answer is not None:
                    return answer
                # The other replica gave up without publishing (it died): claim again.
                if self._timer.monotonic() >= deadline:
                    raise DatabaseUnavailable(f"no fresh evaluation of {slo.id} within {self._fresh_hold:g}s")
        except DatabaseUnavailable:
            reason = self._latest.unavailable_reason() or (
                f"this replica cannot reach the shared database ({self._link.problem or 'no answer'}); "
                "a fresh evaluation needs it so that only one replica evaluates"
            )
            return unavailable_evaluation(slo, reason)

    async def _run(self, slo_id: str, evaluate: Callable[[], Awaitable[Evaluation]]) -> Evaluation:
        try:
            return await evaluate()
        finally:
            try:
                await self._link.run(_sql.release_fresh, self._link.engine, slo_id, self._replica_id)
            except DatabaseUnavailable:
                self._logger.warning("fresh claim on %s not released; it lapses by itself", slo_id)

    async def _await_other(self, slo_id: str, version: int, deadline: float) -> Evaluation | None:
        """The evaluation another replica publishes after ``version``; None if it stops holding
        the claim without publishing one."""
        engine = self._link.engine
        while self._timer.monotonic() < deadline:
            await self._timer.sleep(_WAIT_POLL)
            current, held = await self._link.run(_sql.fresh_held, engine, slo_id)
            if current > version:
                row = await self._link.run(_sql.read_one, engine, slo_id)
                if row is not None and row.evaluation is not None:
                    self._latest.absorb(row)
                    return row.evaluation
            if not held:
                return None
        return None
