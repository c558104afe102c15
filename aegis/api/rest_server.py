"""The REST listener: uvicorn on our socket, with our protocol, our TLS and our shutdown.

What uvicorn's defaults would get wrong here, and what this module does instead:

- uvicorn installs its own SIGINT/SIGTERM handlers while it serves and starts closing REST on its
  own, while gRPC kept serving; the drain is the caller's (aegis.api.server), so no handlers.
- uvicorn waits for every connection to close, without a bound, when it shuts down (a client
  holding a half-sent body kept a SIGTERMed server alive); ``stop`` closes them, and aborts the
  ones that will not close.
- The connections get aegis.api.http_protocol's limits (header and body timeouts, a connection
  cap, no request smuggling), and a TLS handshake has the header timeout, not asyncio's 60 s.
- At the file-descriptor limit asyncio logs "socket.accept() out of system resource" for every
  failed accept (hundreds of thousands of lines): ``AcceptErrorLog`` says it once a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from aegis.api.http_protocol import HttpLimits, guarded_protocol
from aegis.logs import ThrottledLog

__all__ = ["AcceptErrorLog", "RestServer"]

_ACCEPT_ERROR = "socket.accept() out of system resource"


class RestServer:
    def __init__(
        self,
        app: ASGIApp,
        sock: socket.socket,
        *,
        limits: HttpLimits,
        ssl_context: ssl.SSLContext | None,
        log_level: str,
        logger: logging.Logger,
    ) -> None:
        config = uvicorn.Config(
            app,
            http=guarded_protocol(limits, logger),
            # Our loggers and format (aegis.logs): uvicorn's records propagate to the root handler.
            log_config=None,
            log_level=log_level.lower(),
            lifespan="off",
            access_log=False,  # the access log is the pipeline's (one event per call, both surfaces)
            timeout_graceful_shutdown=2,
        )
        self._server = _Uvicorn(config, ssl_context, handshake_timeout=limits.header_timeout)
        self._sock = sock
        self._task: asyncio.Task[None] | None = None

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]), name="rest")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise OSError("the REST server stopped during start-up")
            await asyncio.sleep(0.01)

    async def stop(self, linger: float = 1.0) -> None:
        """Stop accepting, close every connection (aborting those still open after ``linger``)."""
        if self._task is None:
            return
        for server in getattr(self._server, "servers", ()):
            server.close()
        connections = self._server.server_state.connections
        for connection in list(connections):
            connection.transport.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(linger):
                while connections:  # noqa: ASYNC110 - connection_lost sets no event
                    await asyncio.sleep(0.02)
        for connection in list(connections):
            connection.transport.abort()
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class _Uvicorn(uvicorn.Server):
    def __init__(
        self, config: uvicorn.Config, ssl_context: ssl.SSLContext | None, handshake_timeout: float
    ) -> None:
        super().__init__(config)
        self._ssl = ssl_context
        self._handshake_timeout = handshake_timeout

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # signals belong to aegis.api.server.run, which drains both surfaces together

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        config = self.config
        loop = asyncio.get_running_loop()

        def create_protocol(_loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
            protocol: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=_loop
            )
            return protocol

        self.servers = [
            await loop.create_server(
                create_protocol,
                sock=sock,
                ssl=self._ssl,
                backlog=config.backlog,
                ssl_handshake_timeout=self._handshake_timeout if self._ssl is not None else None,
            )
            for sock in sockets or ()
        ]
        self.started = True


class AcceptErrorLog:
    """An event-loop exception handler that says "out of file descriptors" once a minute."""

    def __init__(self, logger: logging.Logger) -> None:
        self._log = ThrottledLog(
            logger,
            logging.ERROR,
            "REST: cannot accept connections: %s; the server answers again once connections close "
            "(raise the open-file limit, ulimit -n, or lower --max-connections)",
        )
        self._previous: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._previous = loop.get_exception_handler()
        loop.set_exception_handler(self._handle)

    def uninstall(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop.get_exception_handler() == self._handle:
            loop.set_exception_handler(self._previous)

    def _handle(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == _ACCEPT_ERROR:
            error = context.get("exception")
            self._log(getattr(error, "strerror", None) or str(error))
            return
        if self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)
