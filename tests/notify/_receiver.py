"""A real HTTP webhook receiver (Starlette on uvicorn, port 0) that a test can make misbehave.

It checks signatures with its own few lines of hmac, as a receiver written from the docs would,
not with aegis's code.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    # What the receiver answered.
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str = ""
    # Answer 500 to this many requests first, then ``status``.
    fail_first: int = 0
    status: int = 200
    # Never answer (until the test ends).
    hang: bool = False
    secret: bytes | None = None
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    # Hung requests are let go (with a 503) when the receiver shuts down.
    released: asyncio.Event = field(default_factory=asyncio.Event)
    hung: int = 0

    def signature_ok(self, item: Received) -> bool:
        assert self.secret is not None
        expected = "sha256=" + hmac.new(self.secret, item.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, item.headers.get("x-aegis-signature-256", ""))

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    async def wait_for(self, count: int, *, accepted: bool = True) -> list[Received]:
        """Until ``count`` requests arrived (answered 2xx unless ``accepted`` is False)."""
        async with asyncio.timeout(30):
            while len(self.accepted() if accepted else self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.accepted() if accepted else self.received

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        if self.hang:
            self.hung += 1
            self.arrived.set()
            await self.released.wait()
            return Response(status_code=503)
        status = 500 if len(self.received) < self.fail_first else self.status
        self.received.append(Received(request.url.path, dict(request.headers), body, status))
        self.arrived.set()
        return Response(status_code=status)


@contextlib.asynccontextmanager
async def running_receiver(**options: Any) -> AsyncIterator[Receiver]:
    receiver = Receiver(**options)
    app = Starlette(routes=[Route("/{path:path}", receiver._handle, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.should_exit = True
        server.force_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        sock.close()
