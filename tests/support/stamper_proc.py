"""One hub process's timestamp stamper, alone: ``python stamper_proc.py DB_URL TSA_URL``.

Prints ``ready`` once connected, waits for a line on stdin (so that several start
together), then runs stamper passes until no row waits, and prints how many it stamped.
"""

from __future__ import annotations

import asyncio
import sys

from gateway.store.db import Database
from gateway.timestamps.stamper import Stamper
from gateway.timestamps.store import TimestampStore
from gateway.timestamps.tsa import Tsa


async def main(db_url: str, tsa_url: str) -> None:
    """Stamp until nothing waits."""
    db = Database(db_url)
    store = TimestampStore(db)
    stamper = Stamper(store, Tsa(tsa_url), pass_seconds=0.05, head_interval=1e9)
    await store.waiting()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    done = 0
    while await store.waiting():
        done += await stamper.run_pass()
        await asyncio.sleep(0.01)
    print(f"stamped {done}", flush=True)
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
