"""One log event per call: method, surface, code, duration, request id, principal, peer.

Never the request or response body, never a header's value (an Authorization header is a secret):
only what identifies the call. With ``--log-format json`` the fields become keys of the line's
JSON object (aegis.logs); in text they read ``key=value``.
"""

from __future__ import annotations

import logging
import time

from google.protobuf.message import Message

from aegis.api.interceptors._outcome import code_of
from aegis.api.pipeline import CallContext, Handler

__all__ = ["AccessLogInterceptor"]

_SOURCE = __file__


class AccessLogInterceptor:
    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message:
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            return await proceed(request, context)
        except BaseException as err:
            error = err
            raise
        finally:
            if self._logger.isEnabledFor(logging.INFO):
                self._log(context, code_of(error).name, time.perf_counter() - started)

    def _log(self, context: CallContext, code: str, seconds: float) -> None:
        principal = context.attributes.get("principal")
        fields = {
            "event": "call",
            "method": context.method.full_name if context.method is not None else "unknown",
            "surface": context.surface,
            "code": code,
            "duration_ms": round(seconds * 1000, 3),
            "request_id": context.attributes.get("request_id", ""),
            "principal": getattr(principal, "name", ""),
            "peer": context.peer(),
        }
        text = " ".join(f"{key}={value}" for key, value in fields.items() if key != "event")
        # One record per call: built directly, without logging's stack walk for the caller's file
        # and line (findCaller), which no format of ours prints and which cost more than the rest.
        logger = self._logger
        record = logger.makeRecord(
            logger.name, logging.INFO, _SOURCE, 0, "call %s", (text,), None, extra={"fields": fields}
        )
        logger.handle(record)
