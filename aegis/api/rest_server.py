"""The REST listener: uvicorn on our socket, with our protocol, our TLS and our shutdown.

What uvicorn's defaults would get wrong here, and what this module does instead:

- uvicorn installs its own SIGINT/SIGTERM handlers while it serves and starts closing REST on its
  own, while gRPC kept serving; the drain is the caller's (aegis.api.server), so no handlers.
- uvicorn waits for every connection to close, without a bound, when it shuts down (a client
  holding a half-sent body kept a SIGTERMed server alive); ``stop`` closes them, and aborts the
  ones that will not close.
- The connections get aegis.api.http_protocol's limits (header and body timeouts, a connection
  cap, no request smuggling), and a TLS handshake has the header timeout, not asyncio's 60 s.
- At the file-descriptor limit asyncio logged "socket.accept() out of system resource" for every
  failed accept (465,000 lines in 25 s): connections are accepted by our own loop, which waits
  and says it once a minute. A failed TLS handshake is one INFO line, not an ERROR traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import ssl
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from aegis._tasks import cancel_and_wait
from aegis.api.http_protocol import HttpLimits, guarded_protocol
from aegis.logs import ThrottledLog

__all__ = ["RestServer"]


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
        self._server = _Uvicorn(config, ssl_context, limits.header_timeout, logger)
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
        await self._server.stop_accepting()
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
        self,
        config: uvicorn.Config,
        ssl_context: ssl.SSLContext | None,
        handshake_timeout: float,
        logger: logging.Logger,
    ) -> None:
        super().__init__(config)
        self._ssl = ssl_context
        self._handshake_timeout = handshake_timeout
        self._logger = logger
        self._accepting: list[asyncio.Task[None]] = []
        self._out_of_resources = ThrottledLog(
            logger,
            logging.ERROR,
            "REST: cannot accept connections: %s; the server answers again once connections close "
            "(raise the open-file limit, ulimit -n, or lower --max-connections)",
        )
        self._handshake_failed = ThrottledLog(logger, logging.INFO, "REST: TLS handshake failed: %s")

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # signals belong to aegis.api.server.run, which drains both surfaces together

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Our own accept loop instead of loop.create_server's (see ``_accept``)."""
        self.servers = []
        self._accepting = [
            asyncio.create_task(self._accept(sock), name="rest-accept") for sock in sockets or ()
        ]
        self.started = True

    async def stop_accepting(self) -> None:
        await cancel_and_wait(*self._accepting)
        self._accepting = []

    async def _accept(self, sock: socket.socket) -> None:
        """Accept connections one by one; at the descriptor limit wait, and say so once a minute.

        asyncio's own accept loop, on EMFILE, keeps calling accept() for the rest of its burst
        (the listen backlog, 2048), logging each failure and scheduling a retry for each: hundreds
        of thousands of lines, then a traceback per pending retry once the socket closes.
        """
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, _ = await loop.sock_accept(sock)
            except OSError as err:
                if err.errno in _OUT_OF_RESOURCES:
                    self._out_of_resources(err.strerror or str(err))
                    await asyncio.sleep(0.5)
                continue  # ECONNABORTED and the like: that client is gone, the next one is not
            asyncio.create_task(self._connect(connection))  # noqa: RUF006 - the protocol owns it

    async def _connect(self, connection: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        config = self.config

        def create_protocol() -> asyncio.Protocol:
            protocol: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=loop
            )
            return protocol

        try:
            await loop.connect_accepted_socket(
                create_protocol,
                connection,
                ssl=self._ssl,
                ssl_handshake_timeout=self._handshake_timeout if self._ssl is not None else None,
            )
        except (OSError, TimeoutError) as err:  # ssl.SSLError is an OSError
            connection.close()
            reason = getattr(err, "reason", None) or type(err).__name__
            self._handshake_failed(reason)


_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
