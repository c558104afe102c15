"""Every call gets a request id: the caller's ``x-request-id`` when it is sane, else a new one.

The id goes into ``context.attributes["request_id"]`` for later interceptors (logs) and back to the
caller as ``x-request-id`` (HTTP header on REST, initial metadata on gRPC), so a person can match
their call with the server's log line.
"""

from __future__ import annotations

import os
import re

from google.protobuf.message import Message

from aegis.api.pipeline import CallContext, Handler

REQUEST_ID_HEADER = "x-request-id"
# Printable, no spaces, bounded: an id ends up in log lines and response headers.
_SANE = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")


def new_request_id() -> str:
    """128 random bits as 32 hex characters (what uuid4().hex gave, without building a UUID)."""
    return os.urandom(16).hex()


class RequestIdInterceptor:
    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message:
        given = context.metadata_value(REQUEST_ID_HEADER)
        request_id = given if given is not None and _SANE.fullmatch(given) else new_request_id()
        context.attributes["request_id"] = request_id
        context.response_headers.append((REQUEST_ID_HEADER, request_id))
        return await proceed(request, context)
