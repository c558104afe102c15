"""What a servicer sees when it is called over REST: a stand-in for grpc.aio.ServicerContext.

The servicers are written once, against grpc.aio. The transcoder calls the very same methods
with a RestServicerContext built from the HTTP request, so `await context.abort(...)`,
`set_code`/`set_details` and `invocation_metadata()` keep their gRPC meaning over JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import grpc
from starlette.requests import Request

__all__ = ["AbortError", "RestServicerContext", "context_for"]


class AbortError(Exception):
    """Raised by RestServicerContext.abort; carries the status to answer with.

    The REST twin of grpc.aio's AbortError: it unwinds the servicer, and the transcoder turns it
    into a google.rpc.Status response.
    """

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


class RestServicerContext:
    """The part of grpc.aio.ServicerContext that thin servicers use, backed by an HTTP request.

    Metadata is the HTTP request headers (lower-cased names); there is no deadline over REST, so
    time_remaining() is None. Trailing metadata is accepted and dropped: JSON REST has no trailers.
    """

    def __init__(self, metadata: tuple[tuple[str, str], ...], peer: str) -> None:
        self._metadata = metadata
        self._peer = peer
        self._code: grpc.StatusCode | None = None
        self._details: str | None = None
        self._trailing_metadata: tuple[tuple[str, str | bytes], ...] = ()

    async def abort(
        self,
        code: grpc.StatusCode,
        details: str = "",
        trailing_metadata: Sequence[tuple[str, str | bytes]] = (),
    ) -> NoReturn:
        self._code = code
        self._details = details
        self._trailing_metadata = tuple(trailing_metadata)
        raise AbortError(code, details)

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def set_details(self, details: str) -> None:
        self._details = details

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def details(self) -> str | None:
        return self._details

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def peer(self) -> str:
        return self._peer

    def time_remaining(self) -> float | None:
        return None

    def cancelled(self) -> bool:
        return False

    def set_trailing_metadata(self, trailing_metadata: Sequence[tuple[str, str | bytes]]) -> None:
        self._trailing_metadata = tuple(trailing_metadata)

    def trailing_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        return self._trailing_metadata


def context_for(request: Request) -> RestServicerContext:
    """The context of one HTTP request: its headers as metadata, its client in gRPC's peer syntax."""
    metadata = tuple(
        (name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in request.headers.raw
    )
    client = request.client
    if client is None:
        peer = "unknown"
    elif ":" in client.host:
        peer = f"ipv6:[{client.host}]:{client.port}"
    else:
        peer = f"ipv4:{client.host}:{client.port}"
    return RestServicerContext(metadata, peer)
