"""From an HTTP request to the CallContext the pipeline runs with: forwarded headers, peer, deadline.

Only the headers we mean to pass on become metadata, as grpc-gateway's DefaultHeaderMatcher does:
``Authorization``, ``X-Request-ID``, ``Grpc-Timeout``, W3C trace context, and any
``Grpc-Metadata-<name>`` header as ``<name>``. Cookies, Host, proxies' hop-by-hop headers and
everything else stay behind, so no interceptor or servicer can come to depend on them.

The deadline is ``Grpc-Timeout`` (gRPC's syntax: ``5S``, ``250m``) when the caller sends one,
capped by the server's default, else the default; a malformed one is 400 (the call is rejected,
see ``CallContext.reject``).
"""

from __future__ import annotations

import asyncio
import re

import grpc
from starlette.requests import Request

from aegis.api.echo import echo
from aegis.api.pipeline import AbortError, CallContext, Metadata

__all__ = ["FORWARDED_HEADERS", "METADATA_PREFIX", "context_for", "forwarded_metadata", "parse_grpc_timeout"]

FORWARDED_HEADERS = frozenset({"authorization", "x-request-id", "grpc-timeout", "traceparent", "tracestate"})
METADATA_PREFIX = "grpc-metadata-"
# gRPC's Timeout: at most 8 digits and a unit (Hours, Minutes, Seconds, milli, micro, nano).
_GRPC_TIMEOUT = re.compile(r"([0-9]{1,8})([HMSmun])")
_UNIT_SECONDS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}


def forwarded_metadata(raw_headers: list[tuple[bytes, bytes]]) -> Metadata:
    """The headers that become call metadata, names in lower case."""
    found: list[tuple[str, str]] = []
    for raw_name, raw_value in raw_headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in FORWARDED_HEADERS:
            found.append((name, value))
        elif name.startswith(METADATA_PREFIX) and len(name) > len(METADATA_PREFIX):
            found.append((name[len(METADATA_PREFIX) :], value))
    return tuple(found)


def parse_grpc_timeout(text: str) -> float | None:
    """Seconds in a ``Grpc-Timeout`` value, or None when it is not gRPC's syntax."""
    match = _GRPC_TIMEOUT.fullmatch(text.strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def context_for(request: Request, default_timeout: float | None) -> CallContext:
    """The call's context; a malformed ``Grpc-Timeout`` leaves it rejected (400) with the default deadline."""
    metadata = forwarded_metadata(request.headers.raw)
    timeout = default_timeout
    rejection = None
    asked = next((value for key, value in metadata if key == "grpc-timeout"), None)
    if asked is not None:
        parsed = parse_grpc_timeout(asked)
        if parsed is None:
            rejection = AbortError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"invalid Grpc-Timeout header {echo(asked, 40)}: "
                "expected up to 8 digits and a unit H, M, S, m, u or n",
            )
        else:
            timeout = parsed if timeout is None else min(parsed, timeout)
    deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
    context = CallContext(surface="rest", metadata=metadata, peer=_peer(request), deadline=deadline)
    if rejection is not None:
        context.reject(rejection)
    return context


def _peer(request: Request) -> str:
    """The client in gRPC's peer syntax, so logs read the same for both surfaces."""
    client = request.client
    if client is None:
        return "unknown"
    if ":" in client.host:
        return f"ipv6:[{client.host}]:{client.port}"
    return f"ipv4:{client.host}:{client.port}"
