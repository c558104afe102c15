"""An HTTP proxy in front of a real Prometheus that misbehaves on demand.

It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) for httpx,
forwards to the real server when healthy, and otherwise answers what a test
asks for: a status with a body and headers, a delay, garbage. It counts the
requests it sees, the most it had in flight at once, and keeps the headers and
query of each, so tests can check retries, sharing and concurrency from the
outside::

    proxy = await FaultProxy.start(prometheus.url)
    proxy.fail(status=500, body=b"upstream down")   # every request until ...
    proxy.heal()                                    # ... back to forwarding
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx

_REASONS = {
    200: "OK",
    400: "Bad Request",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Fault:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering (or forwarding, when status is None).
    delay: float = 0.0
    forward: bool = False
    # Misbehave this many times, then forward again; None = until healed.
    times: int | None = None


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]
    form: dict[str, str]


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self._upstream = httpx.AsyncClient(base_url=upstream, timeout=30)
        self._fault = Fault(forward=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self._scheme = "http"
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.seen: list[SeenRequest] = []

    @classmethod
    async def start(cls, upstream: str, tls: ssl.SSLContext | None = None) -> FaultProxy:
        """Listen on a free loopback port; with ``tls``, as an HTTPS server."""
        proxy = cls(upstream)
        proxy._server = await asyncio.start_server(proxy._serve, "127.0.0.1", 0, ssl=tls)
        proxy.port = proxy._server.sockets[0].getsockname()[1]
        proxy._scheme = "https" if tls else "http"
        return proxy

    @property
    def url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self.port}"

    def fail(
        self,
        status: int = 500,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        times: int | None = None,
    ) -> None:
        self._fault = Fault(status, body, headers or {}, delay, times=times)

    def slow(self, delay: float) -> None:
        """Forward, but only after ``delay`` seconds."""
        self._fault = Fault(delay=delay, forward=True)

    def heal(self) -> None:
        self._fault = Fault(forward=True)

    def reset_counts(self) -> None:
        self.requests = 0
        self.max_in_flight = 0
        self.seen.clear()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()
        await self._upstream.aclose()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                status, headers, body = await self._answer(*request)
                writer.write(_response(status, headers, body))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
        self.seen.append(SeenRequest(path, headers, form))
        fault = self._fault
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.heal()
        try:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if not fault.forward:
                return fault.status, {"Content-Type": "application/json", **fault.headers}, fault.body
            upstream = await self._upstream.request(
                method,
                path,
                content=body,
                headers={"Content-Type": headers.get("content-type", "application/x-www-form-urlencoded")},
            )
            kept = {"Content-Type": upstream.headers.get("content-type", "application/json")}
            return upstream.status_code, kept, upstream.content
        finally:
            self.in_flight -= 1


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    with contextlib.suppress(asyncio.IncompleteReadError):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return method, path, headers, body
    return None


def _response(status: int, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
