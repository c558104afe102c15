"""The replica's connection to the shared database, as the cluster sees it: up, or down since when.

Every coordination statement runs through ``run``: in a worker thread (the engine is
synchronous), bounded in time, and counted towards the link's health, so membership, claims and
the latest-state cache agree on whether this replica can reach the database. An outage is logged
once when it starts and once when it ends.

Lease renewals and reads of the shared state (``control=True``) have a thread of their own: on
the shared pool they queued behind a burst of claims and audit writes, timed out, and a replica
that was merely busy lost its lease (seen at 10,000 SLOs on a saturated host), which moved its
SLOs to replicas just as busy.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec, TypeVar

from sqlalchemy.engine import Engine

from aegis.scheduler.timing import SystemTime, Timer, utc_now
from aegis.store.writer import one_line

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseUnavailable(RuntimeError):
    """A coordination statement failed or timed out; the message is one line."""


class DatabaseLink:
    def __init__(
        self,
        engine: Engine,
        *,
        timeout: float = 5.0,
        timer: Timer | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.engine = engine
        self._timeout = timeout
        self._timer = timer or SystemTime()
        self._logger = logger or logging.getLogger(__name__)
        self._problem: str | None = None
        self._down_since: datetime | None = None
        self._down_at = 0.0
        self._control = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="aegis-lease")

    async def run(self, statement: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``statement(*args)`` in a worker thread; DatabaseUnavailable when it fails or times out."""
        return await self._run(None, functools.partial(statement, *args, **kwargs))

    async def run_control(self, statement: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """As ``run``, on the link's own thread: never queued behind evaluation work."""
        return await self._run(self._control, functools.partial(statement, *args, **kwargs))

    def close(self) -> None:
        self._control.shutdown(wait=False, cancel_futures=True)

    async def _run(self, executor: concurrent.futures.Executor | None, call: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            # The thread may outlive the timeout; the connection's own timeouts end it (database.py).
            result = await asyncio.wait_for(loop.run_in_executor(executor, call), self._timeout)
        except TimeoutError as err:
            self._failed(f"no answer within {self._timeout:g}s")
            raise DatabaseUnavailable(self._problem or "") from err
        except Exception as err:
            self._failed(one_line(err))
            raise DatabaseUnavailable(self._problem or "") from err
        self._succeeded()
        return result

    @property
    def problem(self) -> str | None:
        """Why the last statement failed; None while the database answers."""
        return self._problem

    @property
    def down_since(self) -> datetime | None:
        return self._down_since

    def down_for(self) -> float:
        return self._timer.monotonic() - self._down_at if self._problem is not None else 0.0

    def _failed(self, problem: str) -> None:
        if self._problem is None:
            self._down_since = utc_now()
            self._down_at = self._timer.monotonic()
            self._logger.error(
                "shared database unreachable: %s; this replica stops evaluating and answers WARN until it "
                "is back",
                problem,
            )
        self._problem = problem

    def _succeeded(self) -> None:
        if self._problem is not None:
            self._logger.warning("shared database reachable again after %.1fs", self.down_for())
            self._problem = None
            self._down_since = None
