"""ReplayService: validate the request, ask the Replayer, convert the answer. Thin, like the others."""

from __future__ import annotations

from typing import NoReturn

import grpc

from aegis.api.convert import timestamp_from_pb
from aegis.api.convert_replay import replay_to_pb
from aegis.api.echo import echo
from aegis.api.pipeline import CallContext
from aegis.replay.history import ReplayTimeout
from aegis.replay.overrides import OverrideError
from aegis.replay.picture import render_svg
from aegis.replay.service import Replayer
from aegis.replay.span import SpanError, parse_step
from aegis.scheduler import SLOCatalog
from aegis.v1 import replay_pb2, replay_pb2_grpc


async def _abort(context: CallContext, code: grpc.StatusCode, message: str) -> NoReturn:
    await context.abort(code, message)
    raise AssertionError("context.abort returned")  # pragma: no cover - abort always raises


class ReplayServicer(replay_pb2_grpc.ReplayServiceServicer):
    def __init__(self, catalog: SLOCatalog, replayer: Replayer) -> None:
        self._catalog = catalog
        self._replayer = replayer

    async def Replay(
        self, request: replay_pb2.ReplayRequest, context: CallContext
    ) -> replay_pb2.ReplayResponse:
        slo_id = request.slo_id.strip()
        if not slo_id:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "sloID is required")
        slo = self._catalog.get(slo_id)
        if slo is None:
            known = sorted(self._catalog.entries)
            hint = f"; known SLOs: {', '.join(known)}" if len(known) <= 20 else ""
            await _abort(context, grpc.StatusCode.NOT_FOUND, f"no SLO with id {echo(slo_id)}{hint}")
        if not request.HasField("start_time"):
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "startTime is required")
        end = timestamp_from_pb(request.end_time) if request.HasField("end_time") else None
        try:
            step = parse_step(request.step) if request.step else None
            span = self._replayer.span(slo, timestamp_from_pb(request.start_time), end, step)
            replay = await self._replayer.replay(
                slo, span, list(request.overrides), time_left=context.time_remaining()
            )
        except (SpanError, OverrideError) as err:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(err))
        except ReplayTimeout as err:
            await _abort(
                context,
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"the replay did not finish in time ({err}); replay a shorter span or use a larger step",
            )
        picture = render_svg(replay) if request.include_picture else ""
        return replay_to_pb(replay, picture_svg=picture)
