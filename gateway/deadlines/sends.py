"""At most once on each external channel: a durable claim before a webhook or a mail goes.

Neither an HTTP receiver nor an SMTP server can be asked "did you get this already?"
(SMTP has no idempotent submission; a ``Message-ID`` is only a header that servers may or
may not deduplicate on). So the hub never sends a notification twice, and says so when it
cannot know whether it sent one:

1. before a channel is tried, one committed ``INSERT … ON CONFLICT DO NOTHING`` writes its
   ``escalation_sends`` row in state ``sending``: only the process whose insert took the
   row sends, and the row is never inserted again (after a restart neither);
2. after the attempt the row becomes ``sent`` or ``failed`` (the server said no, or could
   not be reached before anything was handed over: nothing went out);
3. a row still ``sending`` after :data:`SETTLE_AFTER` belongs to a process that died in
   between: it may or may not have gone out. It becomes ``unknown`` (audited
   ``escalation.unknown``, counted in ``lienthong_escalation_sends{state="unknown"}``) and
   is left to an operator, who finds its ``Message-ID`` or event id in the mail server's
   or receiver's log (docs/operators.md). It is not sent again by the hub on its own;
4. the operator resolves it (``gateway.deadlines.unknown_sends``): ``sent`` (it arrived)
   or ``resend`` (it did not), which claims it again with one committed
   ``UPDATE … WHERE state = 'unknown'`` (:meth:`Sends.reclaim`): of two operators, or two
   hub processes, one takes it, and it is sent once more; the others are told it is no
   longer ``unknown``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store import audit
from gateway.store.db import Database
from gateway.store.models import EscalationSendRow, table

__all__ = ["FINAL", "SETTLE_AFTER", "Key", "Sends", "send_counts"]

log = structlog.get_logger("gateway.deadlines")

#: A ``sending`` row older than this is ``unknown`` (a send itself times out in seconds).
SETTLE_AFTER = timedelta(minutes=10)
#: States after which nothing more happens on a channel.
FINAL = frozenset({"sent", "failed", "unknown"})
#: ``(message id, recipient, level)``: one escalation.
Key = tuple[str, str, str]


_S = table(EscalationSendRow)


def _where(key: Key, channel: str) -> list[Any]:
    message_id, recipient, level = key
    return [
        _S.c.message_id == message_id,
        _S.c.recipient == recipient,
        _S.c.level == level,
        _S.c.channel == channel,
    ]


class Sends:
    """The ``escalation_sends`` rows of one database."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def claim(self, key: Key, channel: str) -> bool:
        """Commit ``sending`` for ``channel`` of ``key``; True if this call wrote it (and
        may send), False if the channel was claimed before, by anyone."""
        message_id, recipient, level = key
        row = {
            "message_id": message_id,
            "recipient": recipient,
            "level": level,
            "channel": channel,
            "state": "sending",
            "started_at": self.clock(),
        }
        async with self.db.session(write=True) as session:
            insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
            statement = (
                insert(_S)
                .values(row)
                .on_conflict_do_nothing(
                    index_elements=["message_id", "recipient", "level", "channel"]
                )
                .returning(_S.c.channel)
            )
            return (await session.execute(statement)).first() is not None

    async def finish(self, key: Key, channel: str, outcome: str) -> None:
        """Record the attempt's ``outcome`` (``sent…`` or ``failed…``) on its row."""
        state = "sent" if outcome.startswith("sent") else "failed"
        async with self.db.session(write=True) as session:
            await session.execute(
                update(_S)
                .where(*_where(key, channel), _S.c.state == "sending")
                .values(state=state, detail=outcome[:200], finished_at=self.clock())
            )

    async def reclaim(self, key: Key, channel: str, actor: str) -> bool:
        """An operator's resend: ``unknown`` → ``sending`` in one committed update, audited
        ``escalation.resend`` with ``actor``; True if this call took it (and may send)."""
        return await self._resolve(key, channel, actor, "resend", state="sending", detail=None)

    async def confirm(self, key: Key, channel: str, actor: str) -> bool:
        """An operator found it arrived: ``unknown`` → ``sent``, audited
        ``escalation.confirmed`` with ``actor``; True if this call changed it."""
        detail = f"sent: confirmed by {actor}"[:200]
        return await self._resolve(key, channel, actor, "confirmed", state="sent", detail=detail)

    async def _resolve(
        self, key: Key, channel: str, actor: str, action: str, **values: Any
    ) -> bool:
        now = self.clock()
        start = {"started_at": now, "finished_at": None} if values["state"] == "sending" else {}
        finish = {} if start else {"finished_at": now}
        async with self.db.session(write=True) as session:
            changed = await session.execute(
                update(_S)
                .where(*_where(key, channel), _S.c.state == "unknown")
                .values(**values, **start, **finish)
                .returning(_S.c.channel)
            )
            if changed.first() is None:
                return False
            detail = {"level": key[2], "channel": channel}
            await audit.append(session, actor, f"escalation.{action}", key[0], key[1], detail)
        return True

    async def outcomes(self, key: Key) -> dict[str, tuple[str, str]]:
        """Channel → ``(state, what the attempt ended with)`` of ``key``'s rows."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(_S.c.channel, _S.c.state, _S.c.detail).where(
                    _S.c.message_id == key[0], _S.c.recipient == key[1], _S.c.level == key[2]
                )
            )
            return {r.channel: (r.state, r.detail or r.state) for r in rows}

    async def settle(self, now: datetime) -> list[tuple[Key, str]]:
        """Rows ``sending`` since before ``now - SETTLE_AFTER`` become ``unknown``, each
        audited once (one ``UPDATE … RETURNING``: of two processes one takes each)."""
        async with self.db.session(write=True) as session:
            stale = await session.execute(
                update(_S)
                .where(_S.c.state == "sending", _S.c.started_at < now - SETTLE_AFTER)
                .values(state="unknown", detail="unknown: interrupted", finished_at=now)
                .returning(_S.c.message_id, _S.c.recipient, _S.c.level, _S.c.channel)
            )
            settled = [((r.message_id, r.recipient, r.level), r.channel) for r in stale]
            for (message_id, recipient, level), channel in settled:
                detail = {
                    "level": level,
                    "channel": channel,
                    "reason": "the process sending it stopped before recording the outcome; "
                    "not sent again: check the receiver's log",
                }
                await audit.append(
                    session, "hub", "escalation.unknown", message_id, recipient, detail
                )
        for key, channel in settled:
            log.warning("escalation.unknown", message_id=key[0], level=key[2], channel=channel)
        return settled


async def send_counts(session: AsyncSession) -> Sequence[tuple[str, str, int]]:
    """``(channel, state, count)`` of every send (the ``lienthong_escalation_sends`` gauge)."""
    query = select(_S.c.channel, _S.c.state, func.count()).group_by(_S.c.channel, _S.c.state)
    return [(c, s, int(n)) for c, s, n in (await session.execute(query)).all()]


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"
