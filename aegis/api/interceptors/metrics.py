"""Every call counted and timed, by method, surface and status code, and those in flight (``/metrics``)."""

from __future__ import annotations

import time
from typing import Protocol

from google.protobuf.message import Message

from aegis.api.interceptors._outcome import code_of
from aegis.api.pipeline import CallContext, Handler

__all__ = ["MetricsInterceptor", "RequestRecorder"]


class RequestRecorder(Protocol):
    def request_started(self, method: str, surface: str) -> None: ...

    def request_finished(self, method: str, surface: str, code: str, seconds: float) -> None: ...


class MetricsInterceptor:
    def __init__(self, recorder: RequestRecorder) -> None:
        self._recorder = recorder

    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message:
        method = context.method.full_name if context.method is not None else "unknown"
        self._recorder.request_started(method, context.surface)
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            return await proceed(request, context)
        except BaseException as err:
            error = err
            raise
        finally:
            seconds = time.perf_counter() - started
            self._recorder.request_finished(method, context.surface, code_of(error).name, seconds)
