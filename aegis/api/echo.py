"""The one way user input is quoted back in an error message: shown, but bounded.

A client's ``sloID`` of 10,000 characters echoed whole in NOT_FOUND made grpcio clients fail with
RESOURCE_EXHAUSTED instead (a status message travels in a trailer, and grpcio refuses trailers over
8 KiB); a long value also floods logs. So every message that repeats what a caller sent goes
through ``echo``, and every status message is capped once more by the pipeline (``cap_message``)
in case one forgets::

    >>> echo("api-availability")
    "'api-availability'"
    >>> echo("x" * 500, limit=10)
    "'xxxxxxxxxx'... (490 more characters)"
"""

from __future__ import annotations

__all__ = ["ECHO_LIMIT", "MESSAGE_LIMIT", "cap_message", "echo"]

# Characters of one echoed value: enough to recognise an id or a path, never a flood.
ECHO_LIMIT = 120
# Characters of a whole status message: far below grpcio's 8 KiB trailer limit, in UTF-8 too.
MESSAGE_LIMIT = 1024


def echo(value: str, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)``, cut after ``limit`` characters with a note of how many were left out."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value) - limit} more characters)"


def cap_message(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """A status message no longer than ``limit`` characters (plus a short note when cut)."""
    if len(message) <= limit:
        return message
    return f"{message[:limit]}... (message cut: {len(message) - limit} more characters)"
