"""Both surfaces in one process and one event loop: grpc.aio and Starlette on uvicorn.

gRPC carries GateService, SLOService, AuditService and ReplayService plus the standard health
protocol and server reflection v1 and v1alpha (so ``grpcurl`` and ``ghz`` work without
proto files). The REST app is transcoded from the same servicers, and both surfaces run
every call through one request Pipeline (``build_pipeline``), so they give the same
answer, and apply the same interceptors, by construction. Health, readiness, metrics and
reflection stay outside the pipeline: probes must answer whatever it decides.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import signal
import socket
from collections.abc import Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from aegis._tasks import cancel_and_wait
from aegis.api.grpc_transport import add_to_server
from aegis.api.http_protocol import HttpLimits
from aegis.api.interceptors import (
    AccessLogInterceptor,
    AuthInterceptor,
    DeadlineInterceptor,
    DrainInterceptor,
    MetricsInterceptor,
    RequestIdInterceptor,
)
from aegis.api.openapi import openapi_route
from aegis.api.pipeline import Interceptor, Pipeline
from aegis.api.reflection import add_reflection
from aegis.api.replay_servicer import ReplayServicer
from aegis.api.rest_server import RestServer
from aegis.api.service_binding import ServiceBinding
from aegis.api.servicers import AuditServicer, GateServicer, SLOServicer
from aegis.api.tls import load_tls
from aegis.api.tls_reload import RotatingTls, TlsFiles
from aegis.api.transcoder import build_rest_app
from aegis.app import Application
from aegis.auth import undeclared
from aegis.status.calls import StatusCalls
from aegis.status.routes import status_routes
from aegis.v1 import audit_pb2, gate_pb2, replay_pb2, slo_pb2

# Logged once both listeners are up. Scripts that start the server on port 0
# (tests, benchmarks) read the real ports back with LISTENING_PATTERN.
LISTENING_MESSAGE = "serving gRPC on %s:%d and REST on %s://%s:%d"
LISTENING_PATTERN = re.compile(
    r"serving gRPC on \S+:(?P<grpc>\d+) and REST on (?P<scheme>https?)://\S+:(?P<http>\d+)"
)

_SERVICE_NAMES = (
    gate_pb2.DESCRIPTOR.services_by_name["GateService"].full_name,
    slo_pb2.DESCRIPTOR.services_by_name["SLOService"].full_name,
    audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,
    replay_pb2.DESCRIPTOR.services_by_name["ReplayService"].full_name,
)


def build_bindings(app: Application) -> list[ServiceBinding]:
    return [
        ServiceBinding(
            gate_pb2.DESCRIPTOR.services_by_name["GateService"], GateServicer(app.scheduler, app.audit)
        ),
        ServiceBinding(slo_pb2.DESCRIPTOR.services_by_name["SLOService"], SLOServicer(app.scheduler)),
        ServiceBinding(
            audit_pb2.DESCRIPTOR.services_by_name["AuditService"], AuditServicer(app.store, app.logger)
        ),
        ServiceBinding(
            replay_pb2.DESCRIPTOR.services_by_name["ReplayService"], ReplayServicer(app.catalog, app.replayer)
        ),
    ]


def build_pipeline(app: Application) -> Pipeline:
    """The interceptors every call on either surface runs through, outermost first.

    The request id first (everything after may use it); the access log and metrics next, so they
    see every outcome, refusals included; then the drain (no new work once SIGTERM came), the API
    key check when keys are configured, and the deadline around the servicer itself.
    """
    interceptors: list[Interceptor] = [
        RequestIdInterceptor(),
        AccessLogInterceptor(logging.getLogger(f"{app.logger.name}.access")),
        MetricsInterceptor(app.telemetry),
        DrainInterceptor(app.lifecycle),
    ]
    if app.keyring is not None:
        interceptors.append(AuthInterceptor(app.keyring))
    interceptors.append(DeadlineInterceptor())
    return Pipeline(interceptors, logger=app.logger)


def probe_routes(app: Application) -> list[BaseRoute]:
    """Liveness, readiness, the server's own metrics and the OpenAPI document, beside the API."""

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        readiness = app.readiness()
        body = {"ready": readiness.ready, "slosLoaded": readiness.slos_loaded, "reasons": readiness.reasons}
        return JSONResponse(body, status_code=200 if readiness.ready else 503)

    async def metrics(_: Request) -> Response:
        return Response(app.telemetry.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        openapi_route(),
    ]


def build_rest(app: Application, bindings: Sequence[ServiceBinding], pipeline: Pipeline) -> Starlette:
    """The API, the probes, and the status page (which reads the API through the same pipeline)."""
    pages = status_routes(StatusCalls(bindings, pipeline))
    return build_rest_app(bindings, pipeline=pipeline, routes=[*probe_routes(app), *pages], logger=app.logger)


class Server:
    """Starts both listeners around one Application, and drains them together on ``stop``."""

    def __init__(self, app: Application, *, pipeline: Pipeline | None = None) -> None:
        self.app = app
        self._bindings = build_bindings(app)
        self._pipeline = pipeline or build_pipeline(app)
        material = load_tls(app.settings)
        # Certificates are reloaded with everything else: new connections get the newest.
        self._tls = RotatingTls(material) if material is not None else None
        if self._tls is not None:
            app.reloader.add(TlsFiles(self._tls, app.settings, logger=app.logger))
        self._grpc: grpc.aio.Server | None = None
        self._health = health.aio.HealthServicer()
        self._rest: RestServer | None = None
        self._readiness_task: asyncio.Task[None] | None = None
        self.grpc_port = 0
        self.http_port = 0

    @property
    def scheme(self) -> str:
        return "https" if self._tls is not None else "http"

    async def start(self) -> None:
        settings = self.app.settings
        await self.app.start()
        self._grpc = grpc.aio.server()
        add_to_server(self._grpc, self._bindings, self._pipeline, self.app.logger)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._grpc)
        health_service = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
        add_reflection(self._grpc, (*_SERVICE_NAMES, health_service))
        await self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        address = f"{_grpc_host(settings.host)}:{settings.grpc_port}"
        if self._tls is None:
            self.grpc_port = self._grpc.add_insecure_port(address)
        else:
            self.grpc_port = self._grpc.add_secure_port(address, self._tls.grpc_credentials())
        if self.grpc_port == 0:
            raise OSError(f"cannot listen for gRPC on {settings.host}:{settings.grpc_port}")
        await self._grpc.start()

        sock = _bind(settings.host, settings.port)
        self.http_port = sock.getsockname()[1]
        self._rest = RestServer(
            build_rest(self.app, self._bindings, self._pipeline),
            sock,
            limits=HttpLimits.from_settings(settings),
            ssl_context=self._tls.ssl_context() if self._tls is not None else None,
            log_level=settings.log_level,
            logger=self.app.logger,
        )
        await self._rest.start()
        self._readiness_task = asyncio.create_task(self._track_readiness(), name="health")
        self.app.logger.info(
            LISTENING_MESSAGE, settings.host, self.grpc_port, self.scheme, settings.host, self.http_port
        )
        warn_about_exposure(self.app, self._bindings, self._tls is not None)

    async def wait(self) -> None:
        """Until the REST server stops on its own (a crash); a normal stop is ``stop``'s."""
        if self._rest is not None and self._rest.task is not None:
            await self._rest.task

    async def stop(self, grace: float | None = None) -> None:
        """Drain, then stop: not ready at once, new calls refused, in-flight ones get ``grace``.

        Then both listeners close (whatever still runs is cancelled), the scheduler stops and the
        audit queue is flushed. Bounded: a client holding a half-sent body cannot hold it up.
        """
        grace = self.app.settings.shutdown_grace if grace is None else grace
        deadline = asyncio.get_running_loop().time() + grace
        self.app.lifecycle.begin_drain()
        await cancel_and_wait(self._readiness_task)
        await self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        if not await self.app.lifecycle.wait_idle(grace):
            self.app.logger.warning(
                "%d call(s) still running after the %gs shutdown grace; cancelling them",
                self.app.lifecycle.in_flight,
                grace,
            )
        if self._rest is not None:
            await self._rest.stop()
        if self._grpc is not None:
            await self._grpc.stop(0.5)
        # Evaluations nobody waits for any more (the scheduler's own) get what is left of the grace.
        await self.app.stop(grace=max(deadline - asyncio.get_running_loop().time(), 0.0))

    async def _track_readiness(self) -> None:
        """Mirror /readyz into the gRPC health status, so both probes agree."""
        serving = None
        while True:
            ready = self.app.readiness().ready
            if ready != serving:
                serving = ready
                await self._set_health(
                    health_pb2.HealthCheckResponse.SERVING
                    if ready
                    else health_pb2.HealthCheckResponse.NOT_SERVING
                )
            await asyncio.sleep(0.2)

    async def _set_health(self, status: int) -> None:
        for name in ("", *_SERVICE_NAMES):
            await self._health.set(name, status)


def warn_about_exposure(app: Application, bindings: Sequence[ServiceBinding], tls: bool) -> None:
    """Say loudly what an operator may not have meant: an open API, or methods no key may call."""
    host = app.settings.host
    if app.keyring is None and not _is_loopback(host):
        app.logger.warning(
            "NO API KEYS: every RPC is open to anyone who can reach %s (gRPC and REST%s). "
            "Set --api-keys-file (docs/security.md), or listen on 127.0.0.1",
            host,
            ", over TLS" if tls else ", in plaintext",
        )
    if app.keyring is not None:
        closed = undeclared(method for binding in bindings for method in binding.descriptor.methods)
        if closed:
            app.logger.error(
                "no key may call %s: declare option (aegis.v1.required_scope) on each", ", ".join(closed)
            )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _grpc_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, and
    # without it every response waits out delayed ACK (~40 ms; found by bench/bench_gate.py).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


async def run(app: Application, logger: logging.Logger) -> None:
    """Serve until SIGINT or SIGTERM, then drain and stop (docs/operations.md).

    SIGHUP reloads everything configured from files (``Application.reload``): one handler, since
    asyncio keeps one per signal.
    """
    server = Server(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, app.request_reload)
    try:
        await server.start()
        waiter = asyncio.create_task(stop.wait())
        serving = asyncio.ensure_future(server.wait())
        await asyncio.wait({waiter, serving}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        logger.info("shutting down: draining for up to %gs", app.settings.shutdown_grace)
    finally:
        await server.stop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(signum)
