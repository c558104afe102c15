"""Stopping background tasks: the one way every component that owns a task ends it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(*tasks: asyncio.Task[Any] | asyncio.Future[Any] | None) -> None:
    """Cancel every task given (``None`` is skipped), then wait until each has ended.

    All are cancelled before any is awaited, so they wind down together; a task's own
    ``CancelledError`` is expected and swallowed.
    """
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task
