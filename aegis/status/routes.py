"""``GET /`` and ``GET /slo/{id}``: the status pages, answered with the status the API would give.

A call the pipeline refuses ends the page with that call's HTTP status: 401 asks the browser for
credentials (``WWW-Authenticate: Basic``, the password being an API key), 403 says which scope is
missing, 404 names the unknown SLO. Pages are never cached (they may have needed a key) and may
run no script at all (Content-Security-Policy).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from html import escape

import grpc
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from aegis.api.errors import http_status_for
from aegis.api.pipeline import AbortError
from aegis.scheduler.timing import Clock, utc_now
from aegis.spec.durations import Window
from aegis.status import pages
from aegis.status.calls import StatusCalls
from aegis.status.html import page
from aegis.v1 import replay_pb2

__all__ = ["status_routes"]

# Audit records behind the overview's sparklines, and behind an SLO page (its transitions).
OVERVIEW_RECORDS = 60
SLO_RECORDS = 500
REPLAY_SPAN = timedelta(hours=6)
# The picture's steps: at most this many over the span, and never closer than the evaluation interval.
REPLAY_STEPS = 360
_HEADERS = {
    "Cache-Control": "no-store",
    # No script, no fetch, nothing from elsewhere: the pages are HTML, inline CSS and inline SVG.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_BASIC_CHALLENGE = 'Basic realm="AegisSLO status", charset="UTF-8"'


def status_routes(calls: StatusCalls, clock: Clock = utc_now) -> list[BaseRoute]:
    async def overview(request: Request) -> Response:
        slos = await calls.list_slos(request)
        audits = await asyncio.gather(*(calls.audit(request, slo.id, OVERVIEW_RECORDS) for slo in slos))
        return _html(pages.overview(slos, audits, clock()))

    async def slo(request: Request) -> Response:
        slo_id = request.path_params["slo_id"]
        definition = await calls.get_slo(request, slo_id)
        records = await calls.audit(request, slo_id, SLO_RECORDS)
        now = clock()
        step = max(
            Window.parse(definition.evaluation_interval),
            Window(int(REPLAY_SPAN.total_seconds()) // REPLAY_STEPS),
        )
        query = replay_pb2.ReplayRequest(slo_id=slo_id, step=step.text, include_picture=True)
        query.start_time.FromDatetime(now - REPLAY_SPAN)
        query.end_time.FromDatetime(now)
        replay, problem = None, None
        try:
            replay = await calls.replay(request, query)
        except AbortError as err:
            problem = err.details
        return _html(pages.slo_page(definition, records, replay, problem))

    return [
        Route("/", _answering(overview), methods=["GET"]),
        Route("/slo/{slo_id}", _answering(slo), methods=["GET"]),
    ]


def _answering(render: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """The page, or the status of the first call the pipeline refused, as a small HTML page."""

    async def endpoint(request: Request) -> Response:
        try:
            return await render(request)
        except AbortError as err:
            return _refused(err)

    return endpoint


def _refused(err: AbortError) -> Response:
    status = http_status_for(err.code)
    headers = dict(_HEADERS)
    if err.code == grpc.StatusCode.UNAUTHENTICATED:
        headers["WWW-Authenticate"] = _BASIC_CHALLENGE
    body = page(
        f"{status} · AegisSLO status",
        f"<h1>{status}</h1>",
        f'<section><p class="error">{escape(err.details)}</p>'
        "<p>The status page reads the API with your credentials: an API key with the read scope, sent "
        "as <code>Authorization: Bearer KEY</code>, or as the password of the browser's login (any user "
        "name).</p>"
        "</section>",
    )
    return HTMLResponse(body, status_code=status, headers=headers)


def _html(body: str) -> Response:
    return HTMLResponse(body, headers=_HEADERS)
