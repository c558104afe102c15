"""``aegis replay --dir DIR``: replay SLO files here, against a Prometheus or synthetic fixtures.

The same replay the server runs (``aegis.replay``), converted to the same message, so a file can
be tried on real history before any server loads it.
"""

from __future__ import annotations

import argparse
import asyncio

from aegis.api.convert import timestamp_from_pb
from aegis.api.convert_replay import replay_to_pb
from aegis.metrics.base import MetricsAdapter
from aegis.replay.history import ReplayTimeout
from aegis.replay.overrides import OverrideError
from aegis.replay.picture import render_svg
from aegis.replay.service import Replayer
from aegis.replay.span import SpanError, parse_step
from aegis.spec.loader import SpecDirectoryError, load_directory
from aegis.spec.model import SLO
from aegis.v1 import replay_pb2

__all__ = ["LocalReplayError", "add_local_arguments", "replay_locally"]


class LocalReplayError(Exception):
    """Why a local replay could not run; one line for the user."""


def add_local_arguments(parser: argparse.ArgumentParser) -> None:
    local = parser.add_argument_group("or replay SLO files here (instead of asking a server)")
    local.add_argument("--dir", metavar="DIR", help="the SLO files (as aegis validate reads them)")
    metrics = local.add_mutually_exclusive_group()
    metrics.add_argument("--prometheus-url", metavar="URL", help="read history from this Prometheus")
    metrics.add_argument("--synthetic-fixtures", metavar="DIR", help="read history from synthetic fixtures")


def replay_locally(args: argparse.Namespace, request: replay_pb2.ReplayRequest) -> replay_pb2.ReplayResponse:
    if args.server or args.url:
        raise LocalReplayError("--dir replays files here, --server/--url ask a server: pick one")
    if not (args.prometheus_url or args.synthetic_fixtures):
        raise LocalReplayError(
            "with --dir, say where history is: --prometheus-url URL or --synthetic-fixtures DIR"
        )
    slo = _slo(args.dir, request.slo_id)
    adapter = _adapter(args)
    return asyncio.run(_replay(adapter, slo, request, args.timeout))


def _slo(directory: str, slo_id: str) -> SLO:
    try:
        loaded = load_directory(directory)
    except SpecDirectoryError as err:
        raise LocalReplayError(str(err)) from err
    for slo in loaded.slos:
        if slo.id == slo_id:
            return slo
    problems = (
        f"; {len(loaded.problems)} problem(s), see aegis validate --dir {directory}"
        if loaded.problems
        else ""
    )
    known = ", ".join(sorted(s.id for s in loaded.slos)) or "none"
    raise LocalReplayError(f"no valid SLO with id {slo_id!r} in {directory} (SLOs: {known}){problems}")


def _adapter(args: argparse.Namespace) -> MetricsAdapter:
    if args.synthetic_fixtures:
        from aegis.metrics.synthetic import FixtureError, SyntheticAdapter

        try:
            return SyntheticAdapter.from_directory(args.synthetic_fixtures)
        except FixtureError as err:
            raise LocalReplayError(str(err)) from err
    from aegis.metrics.prometheus import PrometheusAdapter, PrometheusConfig

    try:
        return PrometheusAdapter(PrometheusConfig.from_options(args.prometheus_url, {}))
    except ValueError as err:
        raise LocalReplayError(str(err)) from err


async def _replay(
    adapter: MetricsAdapter, slo: SLO, request: replay_pb2.ReplayRequest, seconds: float
) -> replay_pb2.ReplayResponse:
    replayer = Replayer(adapter, max_seconds=seconds)
    try:
        step = parse_step(request.step) if request.step else None
        end = timestamp_from_pb(request.end_time) if request.HasField("end_time") else None
        span = replayer.span(slo, timestamp_from_pb(request.start_time), end, step)
        replay = await replayer.replay(slo, span, list(request.overrides))
    except (SpanError, OverrideError, ReplayTimeout) as err:
        raise LocalReplayError(str(err)) from err
    finally:
        await adapter.aclose()
    return replay_to_pb(replay, picture_svg=render_svg(replay) if request.include_picture else "")
