"""The background pass that asks the TSA, and never holds the hub up.

Every ``pass_seconds``: queue what was audited since the last pass (accepted messages,
receipts), queue the audit head when ``head_interval_seconds`` have passed since the last
head stamp and the head moved, then claim waiting rows (a few at a time, oldest first;
rows another process's stamper holds are skipped) and ask the TSA for each. When the TSA
fails, the row records the attempt and error, the claims are given back and the pass
stops: everything keeps waiting (the status says so) and the next pass catches up.
Nothing else waits for it.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta

import structlog

from gateway.config import Config
from gateway.store.db import Database
from gateway.store.models import utcnow
from gateway.store.periodic import Periodic
from gateway.timestamps.store import TimestampStore
from gateway.timestamps.tsa import Tsa

__all__ = ["Stamper", "build_stamper"]

log = structlog.get_logger("gateway.timestamps")

#: Rows claimed at a time.
_BATCH = 20


class Stamper(Periodic):
    """Feed, stamp, catch up, every ``pass_seconds``."""

    name = "timestamps.pass"

    def __init__(
        self, store: TimestampStore, tsa: Tsa, *, pass_seconds: float, head_interval: float
    ) -> None:
        super().__init__(pass_seconds)
        self.store = store
        self.tsa = tsa
        self.head_interval = head_interval
        self._after: int | None = None
        self._down = False
        #: Who claims rows: this process and this stamper.
        self.worker = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        #: A claim of a batch lasts while every request of it may time out, and a margin.
        self.lease = timedelta(seconds=_BATCH * tsa.timeout + 60)

    async def run_pass(self) -> int:
        """One pass; how many tokens were stored."""
        if self._after is None:
            self._after = await self.store.watermark()
        while (seen := await self.store.feed(self._after)) != self._after:
            self._after = seen
        await self._queue_head()
        return await self._stamp_waiting()

    async def _queue_head(self) -> None:
        head = await self.store.head()
        if head is None:
            return
        last = await self.store.last_head()
        if last is not None and (
            last[0] >= head[0] or (utcnow() - last[1]).total_seconds() < self.head_interval
        ):
            return
        await self.store.queue_head(*head)

    async def _stamp_waiting(self) -> int:
        done = 0
        while claimed := await self.store.claim(self.worker, self.lease, _BATCH):
            for stamp in claimed:
                try:
                    token = await self.tsa.stamp(bytes.fromhex(stamp.digest))
                except (OSError, ValueError) as exc:
                    await self.store.failed(stamp.id, str(exc))
                    await self.store.release(self.worker)
                    if not self._down:
                        log.warning("timestamps.tsa_down", error=str(exc))
                    self._down = True
                    return done
                await self.store.stamped(stamp.id, token)
                done += 1
        if self._down:
            log.info("timestamps.tsa_back", stamped=done)
        self._down = False
        return done

    async def run_once(self) -> int:
        """One pass (:class:`Periodic`)."""
        return await self.run_pass()


def build_stamper(config: Config, db: Database) -> Stamper | None:
    """The stamper of ``[timestamps]``, or None when no TSA is configured."""
    ts = config.timestamps
    if not ts.tsa_url:
        return None
    return Stamper(
        TimestampStore(db),
        Tsa(ts.tsa_url, timeout=ts.timeout_seconds),
        pass_seconds=ts.pass_seconds,
        head_interval=ts.head_interval_seconds,
    )
