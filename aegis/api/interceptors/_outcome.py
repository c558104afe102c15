"""The status code a call ended with, as the observing interceptors (metrics, logs) see it."""

from __future__ import annotations

import asyncio

import grpc

from aegis.api.pipeline import AbortError

__all__ = ["code_of"]


def code_of(error: BaseException | None) -> grpc.StatusCode:
    """OK, the AbortError's code, CANCELLED when the caller went away, else INTERNAL."""
    if error is None:
        return grpc.StatusCode.OK
    if isinstance(error, AbortError):
        return error.code
    if isinstance(error, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    # The pipeline turns any other exception into INTERNAL further out.
    return grpc.StatusCode.INTERNAL
