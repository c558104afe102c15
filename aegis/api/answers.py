"""The answer to a cached decision, built and encoded once per evaluation, not once per request.

An evaluation never changes after it is made, so neither does the DecideResponse built from it.
``DecideAnswers`` keeps, per SLO and dry-run flag, the answer for the evaluation it was built
from; a later call for the same evaluation object gets the same EncodedMessage, whose protobuf
and JSON bytes are computed on first use (aegis.api.encoded). A new evaluation of that SLO
replaces it. Entries of SLOs that were removed are dropped once they outnumber the live ones.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from aegis.api.convert import evaluation_to_pb
from aegis.api.encoded import EncodedMessage
from aegis.engine import dry_run
from aegis.engine.model import Evaluation
from aegis.v1 import gate_pb2

__all__ = ["DecideAnswers"]


class DecideAnswers:
    def __init__(self, live_slos: Callable[[], Collection[str]]) -> None:
        self._live_slos = live_slos
        self._answers: dict[tuple[str, bool], tuple[Evaluation, EncodedMessage]] = {}

    def answer(self, evaluation: Evaluation, *, requested_dry_run: bool) -> EncodedMessage:
        key = (evaluation.slo_id, requested_dry_run)
        kept = self._answers.get(key)
        if kept is not None and kept[0] is evaluation:
            return kept[1]
        answer = dry_run.answer(evaluation, requested=requested_dry_run)
        encoded = EncodedMessage(gate_pb2.DecideResponse(evaluation=evaluation_to_pb(answer)))
        if kept is None:
            self._prune()
        self._answers[key] = (evaluation, encoded)
        return encoded

    def _prune(self) -> None:
        live = self._live_slos()
        if len(self._answers) > 2 * len(live) + 64:
            self._answers = {key: kept for key, kept in self._answers.items() if key[0] in live}
