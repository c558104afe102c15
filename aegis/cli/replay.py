"""``aegis replay --slo ID --from T [--to T] [--step 1m] [--set PATH=VALUE]``: the policy on past data.

Asks a server (``--server``/``--url``, ReplayService) or, with ``--dir``, replays SLO files here
against ``--prometheus-url`` or ``--synthetic-fixtures``: the way to try an SLO before any server
loads it. Prints a table (or ``--output json``, the API's JSON) and writes the picture with
``--picture FILE.svg``.

    $ aegis replay --url http://localhost:8080 --slo checkout --from now-6h --step 1m \\
        --set rules[0].threshold=10 --picture replay.svg

Times are RFC 3339 (``2026-12-01T10:00:00Z``), ``now``, or a time before now (``now-6h``; also
``-6h``, written ``--from=-6h`` since argparse reads a leading dash as a flag).
Exit codes: 0 replayed, 2 a wrong command line, 3 no replay (unknown SLO, bad override, server
or backend unreachable, out of time).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from google.protobuf import json_format

from aegis.cli._remote import UsageError, add_server_arguments, open_client
from aegis.cli._replay_local import LocalReplayError, add_local_arguments, replay_locally
from aegis.cli._replay_report import report
from aegis.client import AegisError
from aegis.spec.durations import DurationError, Window
from aegis.v1 import replay_pb2

__all__ = ["parse_moment", "register", "run"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_ERROR = 3
DEFAULT_TIMEOUT = 60.0


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "replay",
        help="show what the policy would have decided over past data",
        description="Replay one SLO's policy over history: every step's decision, the time spent in "
        "each, each transition with its reason, and each burn with the time the gate took to close and "
        "to open again. --set tries another threshold on the same history.",
    )
    parser.add_argument("--slo", metavar="ID", required=True, help="the SLO's metadata.id")
    parser.add_argument(
        "--from", dest="start", metavar="TIME", required=True, help="first step: RFC 3339, now, -6h"
    )
    parser.add_argument(
        "--to", dest="end", metavar="TIME", default="now", help="last step at or before (default now)"
    )
    parser.add_argument(
        "--step", metavar="DURATION", help="time between steps (default the SLO's evaluationInterval)"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        metavar="PATH=VALUE",
        action="append",
        default=[],
        help="change the policy for this replay, e.g. rules[0].threshold=10 (repeatable; docs/replay.md)",
    )
    parser.add_argument("--output", choices=("table", "json"), default="table", help="stdout format")
    parser.add_argument("--picture", metavar="FILE.svg", help="write the picture (SVG) to this file")
    add_server_arguments(parser)
    add_local_arguments(parser)
    parser.set_defaults(run=run, timeout=DEFAULT_TIMEOUT)


def parse_moment(text: str, now: datetime) -> datetime:
    """RFC 3339 with a zone, ``now``, or ``now-DURATION`` (``-DURATION``) before now; ValueError otherwise."""
    value = text.strip()
    if value == "now":
        return now
    if value.startswith(("now-", "-")):
        try:
            return now - _timedelta(Window.parse(value.removeprefix("now")[1:]))
        except DurationError as err:
            raise ValueError(f"{text!r}: {err}") from None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r}: expected an RFC 3339 time, now, or now-DURATION such as now-6h"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r}: expected a time zone (e.g. Z)")
    return moment


def run(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    now = datetime.now(UTC)
    try:
        request = _request(args, now)
    except ValueError as problem:
        err.write(f"aegis replay: error: {problem}\n")
        return EXIT_USAGE
    try:
        response = replay_locally(args, request) if args.dir else _remote(args, request)
    except (UsageError, LocalReplayError) as problem:
        err.write(f"aegis replay: error: {problem}\n")
        return EXIT_ERROR
    except AegisError as problem:
        err.write(f"aegis replay: could not replay: {problem}\n")
        return EXIT_ERROR
    if args.picture:
        Path(args.picture).write_text(response.picture_svg, encoding="utf-8")
    if args.output == "json":
        document = json_format.MessageToDict(response, always_print_fields_with_no_presence=True)
        document.pop("pictureSvg", None)
        out.write(json.dumps(document, indent=2) + "\n")
    else:
        out.write(report(response))
    return EXIT_OK


def _request(args: argparse.Namespace, now: datetime) -> replay_pb2.ReplayRequest:
    if args.picture and not args.picture.endswith(".svg"):
        raise ValueError(f"--picture {args.picture!r}: the picture is SVG; name the file *.svg")
    request = replay_pb2.ReplayRequest(
        slo_id=args.slo, step=args.step or "", overrides=args.overrides, include_picture=bool(args.picture)
    )
    request.start_time.FromDatetime(parse_moment(args.start, now).astimezone(UTC))
    request.end_time.FromDatetime(parse_moment(args.end, now).astimezone(UTC))
    return request


def _remote(args: argparse.Namespace, request: replay_pb2.ReplayRequest) -> replay_pb2.ReplayResponse:
    try:
        client = open_client(args)
    except ValueError as problem:
        raise UsageError(str(problem)) from problem
    with client:
        return client.replay(request, timeout=args.timeout)


def _timedelta(window: Window) -> timedelta:
    return timedelta(seconds=window.seconds)
