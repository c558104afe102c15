"""uvicorn's h11 protocol with the limits a server facing hostile clients needs.

Found by trying (issue 9, item 8), and uvicorn has no option for any of it:

- **Header timeout.** uvicorn's keep-alive timer is cancelled by any byte received, so a client
  sending a header a byte at a time (or nothing after connecting) kept its connection forever.
  Here the request line and headers must arrive within ``header_timeout`` of the connection, or of
  the previous response; else 408 and close.
- **Body timeout.** A half-sent body held its connection (and a shutdown) forever: the body must
  arrive within ``body_timeout`` of the headers; else 408 and close.
- **Connection cap.** Past ``max_connections`` open connections a new one gets 503 and is closed,
  so idle clients cannot use up the file descriptors the gRPC port and the audit store need too.
- **Request smuggling.** h11 lets Transfer-Encoding win over Content-Length, so a proxy that
  trusted Content-Length saw one request where we served two. RFC 9112 section 6.3: such a message
  "ought to be handled as an error", and the connection closed after it: 400 and close.

It also tells the application when a connection is lost: ``scope[WATCH_DISCONNECT](callback)``
registers a callback (and returns its removal), so that a call can be cancelled the moment its
client goes, without a second task per request reading ``http.disconnect`` (aegis.api.transcoder).

Each condition is logged through a ThrottledLog: a flood of hostile connections is one line a
minute, not one per connection.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from aegis.config import Settings
from aegis.logs import ThrottledLog

__all__ = ["WATCH_DISCONNECT", "HttpLimits", "WatchDisconnect", "guarded_protocol"]

# The scope key of the watch: call it with a callback for a lost connection; it returns the removal.
WATCH_DISCONNECT = "aegis.watch_disconnect"
WatchDisconnect = Callable[[Callable[[], None]], Callable[[], None]]

_TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_BUSY_503 = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 27\r\nconnection: close\r\n\r\ntoo many open connections\r\n"
)


@dataclass(frozen=True)
class HttpLimits:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpLimits:
        return cls(
            header_timeout=settings.http_header_timeout,
            body_timeout=settings.http_body_timeout,
            max_connections=settings.max_connections or default_max_connections(),
        )


def default_max_connections() -> int:
    """Half the open-file limit (the rest is for gRPC, the audit store, the metrics backend)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(16, min(4096, soft // 2))


class _Notices:
    """The throttled log lines of one server."""

    def __init__(self, logger: logging.Logger) -> None:
        self.busy = ThrottledLog(
            logger,
            logging.WARNING,
            "REST: %d connections are open, the most allowed (--max-connections); "
            "new ones are answered 503 and closed",
        )
        self.slow_head = ThrottledLog(
            logger, logging.INFO, "REST: closed a connection whose request headers took over %gs"
        )
        self.slow_body = ThrottledLog(
            logger, logging.INFO, "REST: closed a connection whose request body took over %gs"
        )
        self.smuggling = ThrottledLog(
            logger,
            logging.WARNING,
            "REST: refused a request with both Content-Length and Transfer-Encoding (400, closed)",
        )


class GuardedH11Protocol(H11Protocol):
    """See the module docstring; ``guarded_protocol`` binds the limits and the log."""

    limits: ClassVar[HttpLimits]
    notices: ClassVar[_Notices]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Duck-typed: everything but next_event goes straight to h11's connection.
        self.conn = _WatchedConnection(self, self.conn)  # type: ignore[assignment]
        self._timer: asyncio.TimerHandle | None = None
        self._refused = False
        self._on_lost: list[Callable[[], None]] = []

    # --- connection ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self._refused = True
            self.transport = transport
            self.notices.busy(len(self.connections))
            transport.write(_BUSY_503)
            transport.close()
            return
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._refused:
            return
        super().connection_lost(exc)
        callbacks, self._on_lost = self._on_lost, []
        for callback in callbacks:
            callback()

    def handle_events(self) -> None:
        super().handle_events()
        cycle = self.cycle
        # The request's task has been created but has not run yet: the scope can still gain the watch.
        if cycle is not None and WATCH_DISCONNECT not in cycle.scope:
            cycle.scope[WATCH_DISCONNECT] = self._watch  # type: ignore[literal-required]

    def _watch(self, callback: Callable[[], None]) -> Callable[[], None]:
        self._on_lost.append(callback)

        def unwatch() -> None:
            if callback in self._on_lost:
                self._on_lost.remove(callback)

        return unwatch

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def on_response_complete(self) -> None:
        # Armed first: a pipelined request parsed inside super() switches to the body timer.
        self._arm(self.limits.header_timeout, self._head_too_slow)
        super().on_response_complete()

    # --- called by _WatchedConnection ---------------------------------------------------------

    def request_head(self, event: h11.Request) -> None:
        names = {name.lower() for name, _ in event.headers}
        if b"content-length" in names and b"transfer-encoding" in names:
            self.notices.smuggling()
            raise h11.RemoteProtocolError("both Content-Length and Transfer-Encoding", error_status_hint=400)
        self._arm(self.limits.body_timeout, self._body_too_slow)

    def request_end(self) -> None:
        self._disarm()  # the application has the request now: its deadline is the pipeline's

    # --- timers -------------------------------------------------------------------------------

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_too_slow(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        started, _ = self.conn.trailing_data
        if started:  # part of a request arrived: tell the client; an idle keep-alive just closes
            self.notices.slow_head(self.limits.header_timeout)
            self.transport.write(_TIMEOUT_408)
        self.transport.close()

    def _body_too_slow(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        self.notices.slow_body(self.limits.body_timeout)
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            cycle.disconnected = True  # whatever the application sends now goes nowhere
            self.transport.write(_TIMEOUT_408)
        self.transport.close()


class _WatchedConnection:
    """h11's connection, telling the protocol when a request's head and its end arrive."""

    def __init__(self, protocol: GuardedH11Protocol, connection: h11.Connection) -> None:
        self._protocol = protocol
        self._connection = connection

    def next_event(self) -> Any:
        event = self._connection.next_event()
        if isinstance(event, h11.Request):
            self._protocol.request_head(event)
        elif isinstance(event, h11.EndOfMessage):
            self._protocol.request_end()
        return event

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def guarded_protocol(limits: HttpLimits, logger: logging.Logger) -> type[GuardedH11Protocol]:
    """A protocol class for ``uvicorn.Config(http=...)`` with these limits and this log."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits, "notices": _Notices(logger)})
