"""How the server's log lines look: ``text`` for people, ``json`` for log pipelines.

Either way one event is one line: a JSON object holds a traceback as one escaped string, so a log
shipper never splits an event. Structured fields (the access log's method, code, request id...)
travel as ``extra={"fields": {...}}`` and become keys of the JSON object; the text form already
has them in its message.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Literal

__all__ = ["JsonFormatter", "ThrottledLog", "configure_logging"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Keys of the JSON object that a record's fields may not replace.
_RESERVED = frozenset({"time", "level", "logger", "message", "exception"})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            document.update((key, value) for key, value in fields.items() if key not in _RESERVED)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: Literal["text", "json"] = "text") -> None:
    """The root handler on stderr; every library logger (uvicorn's too) propagates to it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


class ThrottledLog:
    """A condition that can recur thousands of times a second, logged once per ``interval``.

    The first occurrence is logged at once; later ones within the interval are counted, and the
    next line says how many were left out. (At the file-descriptor limit asyncio alone logged
    "socket.accept() out of system resource" 465,000 times in 25 seconds.)
    """

    def __init__(
        self, logger: logging.Logger, level: int, message: str, interval: float = 60.0
    ) -> None:
        self._logger = logger
        self._level = level
        self._message = message
        self._interval = interval
        self._next = float("-inf")
        self._suppressed = 0

    def __call__(self, *args: object) -> None:
        now = time.monotonic()
        if now < self._next:
            self._suppressed += 1
            return
        suffix = f" ({self._suppressed} more since the last report)" if self._suppressed else ""
        self._logger.log(self._level, self._message + suffix, *args)
        self._suppressed = 0
        self._next = now + self._interval
