"""Gate requests into the audit: who asked, for what, answered by which evaluation.

Each distinct gate request is committed through the journal (group commit) before it is answered,
so a pipeline that acted on an answer finds its request in the audit. *Identical* repeats (same
evaluation, same deployment context, same API key, same dry run) are recorded once: a rollout
analysis polling every 10 s, or a load test, would otherwise write one record per call and turn
the audit's write capacity (about 1,000 records/s on SQLite under load) into the limit on cached
decisions (3,300/s). The first record stands for its repeats; a new evaluation, or anything
different about the request, is a new record.
"""

from __future__ import annotations

import collections
import dataclasses
import uuid

from aegis.engine.model import DeploymentContext, Evaluation, GateRequest
from aegis.scheduler.journal import Journal
from aegis.scheduler.timing import Clock, utc_now

_Key = tuple[str, DeploymentContext, str, bool]


class GateRequestLog:
    def __init__(self, journal: Journal, clock: Clock = utc_now, remember: int = 10_000) -> None:
        self._journal = journal
        self._clock = clock
        self._remember = remember
        # Requests recorded lately, oldest first; bounded, so memory is too.
        self._recorded: collections.OrderedDict[_Key, None] = collections.OrderedDict()

    async def record(self, evaluation: Evaluation, deployment: DeploymentContext, api_key_name: str) -> None:
        """Commit the request's record (``evaluation`` as recorded: dry run already applied)."""
        key = (evaluation.evaluation_id, deployment, api_key_name, evaluation.dry_run)
        if key in self._recorded:
            self._recorded.move_to_end(key)
            return
        self._recorded[key] = None
        if len(self._recorded) > self._remember:
            self._recorded.popitem(last=False)
        request = GateRequest(
            # The evaluation's id and a suffix: at the same evaluated_at it sorts above its
            # evaluation in the audit's newest-first order.
            record_id=f"{evaluation.evaluation_id}.gate-{uuid.uuid4().hex[:16]}",
            requested_at=self._clock(),
            deployment=deployment,
            api_key_name=api_key_name,
        )
        await self._journal.commit(dataclasses.replace(evaluation, gate_request=request))
