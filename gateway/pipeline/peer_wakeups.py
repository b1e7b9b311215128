"""Wake the long-polls of the other hub processes sharing the database (PostgreSQL).

Every hub process consumes every unit's mailbox queue, so the item a recipient waits for
is often committed by another process (``serve --workers N``, or hubs on several machines
sharing one PostgreSQL and RabbitMQ). That process's :class:`MailboxSignals` wakes only its
own readers; a reader in another process would learn of the item on its next periodic
re-read, up to ``_POLL_SECONDS`` later. With ``[hub] wake_peers`` on, each process LISTENs
on one channel and, after its mailbox consumer committed items, NOTIFYs their units: one
``pg_notify`` per ``GATHER_SECONDS``, however many units (a payload is ``tag|unit,unit,…``; a
process ignores its own tag). A notification is a shortcut, never the only way: while the
listening connection is down (it is reopened every ``check_seconds``) readers fall back on
the re-read, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import structlog
from sqlalchemy import String, bindparam, func, literal, select
from sqlalchemy.engine import make_url

from gateway.pipeline.notify import MailboxSignals
from gateway.store.db import Database
from gateway.store.prepared import Prepared

__all__ = ["CHANNEL", "PeerWakeups"]

log = structlog.get_logger("gateway.pipeline.peer_wakeups")

CHANNEL = "lienthong_mailbox"
#: Units announced within this many seconds go out in one notification (a busy hub would
#: otherwise send one per delivery; a reader elsewhere waits this much longer at most).
GATHER_SECONDS = 0.05
#: PostgreSQL refuses a payload of 8000 bytes or more.
_PAYLOAD_BYTES = 7000
#: ``SELECT pg_notify('lienthong_mailbox', :payload)``.
_NOTIFY = Prepared(select(func.pg_notify(literal(CHANNEL), bindparam("payload", type_=String))))


class PeerWakeups:
    """This process's side of the channel: announce committed units, wake local readers
    for the units the others announce."""

    def __init__(
        self,
        db: Database,
        signals: MailboxSignals,
        *,
        check_seconds: float = 5.0,
        gather_seconds: float = GATHER_SECONDS,
    ) -> None:
        self.db = db
        self.signals = signals
        self.check_seconds = check_seconds
        self.gather_seconds = gather_seconds
        #: This process's mark on its payloads (several hubs may share one process in tests).
        self.tag = secrets.token_hex(6)
        self._units: set[str] = set()
        self._flushing: asyncio.TimerHandle | None = None
        self._listener: asyncpg.Connection | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        #: Notifications from other processes handled so far (tests, metrics).
        self.received = 0

    @property
    def listening(self) -> bool:
        """Whether the listening connection is open."""
        return self._listener is not None and not self._listener.is_closed()

    async def start(self) -> None:
        """Listen (a dedicated connection), and keep it open; nothing on SQLite."""
        if not self.db.is_postgresql:
            return
        await self._listen()
        self._keeper = asyncio.create_task(self._keep(), name="peer-wakeups")

    async def stop(self) -> None:
        """Stop listening; send what was gathered and let the sends under way finish."""
        if self._flushing is not None:
            self._flushing.cancel()
            self._flush()
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            with contextlib.suppress(Exception):
                await listener.close(timeout=2)

    def announce(self, unit: str) -> None:
        """Tell the other processes that ``unit``'s mailbox has something new (sent
        ``gather_seconds`` later, with the other units announced meanwhile)."""
        if not self.db.is_postgresql:
            return
        self._units.add(unit)
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().call_later(self.gather_seconds, self._flush)

    def _flush(self) -> None:
        self._flushing = None
        units, self._units = sorted(self._units), set()
        for payload in _payloads(self.tag, units):
            task = asyncio.get_running_loop().create_task(self._send(payload))
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)

    async def _send(self, payload: str) -> None:
        try:
            await self.db.query(_NOTIFY, {"payload": payload})
        except Exception as exc:  # a lost shortcut: the readers' re-read still finds it
            log.info("peer_wakeups.send_failed", error=type(exc).__name__)

    def _received(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        tag, _, units = payload.partition("|")
        if tag == self.tag or not units:
            return
        self.received += 1
        for unit in units.split(","):
            self.signals.wake(unit)

    async def _listen(self) -> None:
        try:
            args = make_url(self.db.url).translate_connect_args(username="user")
            connection = await asyncpg.connect(**args, timeout=5)
            await connection.add_listener(CHANNEL, self._received)
        except Exception as exc:  # the database may be away: the keeper tries again
            log.warning("peer_wakeups.listen_failed", error=type(exc).__name__)
            return
        self._listener = connection

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.check_seconds)
            if not self.listening:
                await self._listen()


def _payloads(tag: str, units: list[str]) -> list[str]:
    """``tag|unit,unit,…`` strings, each under PostgreSQL's payload limit."""
    payloads: list[str] = []
    chunk: list[str] = []
    size = len(tag) + 1
    for unit in units:
        if chunk and size + len(unit) + 1 > _PAYLOAD_BYTES:
            payloads.append(f"{tag}|{','.join(chunk)}")
            chunk, size = [], len(tag) + 1
        chunk.append(unit)
        size += len(unit) + 1
    if chunk:
        payloads.append(f"{tag}|{','.join(chunk)}")
    return payloads
