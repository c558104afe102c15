"""Child process for the durability test: record, then print the id.

Run as ``python -m tests.store._durability_writer DB_PATH COUNT``. A printed id
is a promise that record() returned; the test kills this process with SIGKILL
and checks that every promise was kept.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from aegis.store.sql import SQLAuditStore
from tests.store._evaluations import T0, full_evaluation


async def write(path: str, count: int) -> None:
    store = SQLAuditStore.from_sqlite_path(path)
    try:
        for i in range(count):
            evaluation_id = f"ev{i:07d}"
            await store.record(
                full_evaluation(evaluation_id=evaluation_id, timestamp=T0 + timedelta(seconds=i))
            )
            print(evaluation_id, flush=True)
    finally:
        await store.aclose()


if __name__ == "__main__":
    asyncio.run(write(sys.argv[1], int(sys.argv[2])))
