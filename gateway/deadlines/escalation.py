"""Escalation: deliveries past a due time are told about once, then once more to the
sender's parent unit.

Every ``[deadlines] check_seconds`` each hub process runs :meth:`Escalation.run_once`:

1. the database finds the deliveries past ``due_received_at`` without a first answer
   (level ``received``) or past ``due_completed_at`` without 06/02 (``completed``), and
   those still so ``parent_after_hours`` later (``parent_received``, ``parent_completed``),
   that have no ``escalations`` row for that level yet (revoked or replaced documents
   and deliveries that ended otherwise are left out);
2. one transaction inserts their ``escalations`` rows (``ON CONFLICT DO NOTHING
   RETURNING``: the primary key is the claim, so of two hub processes, or a process
   before and after a restart, exactly one gets each row), a system notice in the told
   unit's mailbox (kind ``notice``) and an audit entry ``delivery.overdue``;
3. after the commit, the webhook (``webhook_url``, signed, ``gateway.deadlines.channels``)
   and the mail (``smtp_host``, ``mail_to``) go out, each after its own committed claim
   (``gateway.deadlines.sends``), and the row is marked ``notified_at`` (audited
   ``escalation.notified``). A process that died between 2 and 3 leaves the row
   unmarked; another pass takes it over after :data:`RETRY_AFTER` and tries the channels
   never tried. A channel tried but not recorded (the process died while sending) is
   ``unknown``, audited ``escalation.unknown``, and never sent again: a notice goes out
   at most once on each channel.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.config import DeadlinesConfig
from gateway.deadlines.channels import Mail, Webhook, load_secret
from gateway.deadlines.overdue import _ENDED, _UNANSWERED
from gateway.deadlines.sends import FINAL, SETTLE_AFTER, Sends
from gateway.store import audit
from gateway.store.changes import one_of
from gateway.store.db import Database
from gateway.store.models import (
    DeliveryRow,
    EscalationRow,
    MailboxItemRow,
    MessageRow,
    UnitRow,
    table,
)

__all__ = ["LEVELS", "RETRY_AFTER", "Escalation", "Notice", "overdue_counts"]

log = structlog.get_logger("gateway.deadlines")

#: The levels, in the order a pass looks for them.
LEVELS = ("received", "completed", "parent_received", "parent_completed")
#: An unmarked claim older than this is taken over (its process died before finishing).
RETRY_AFTER = SETTLE_AFTER
#: Claims per transaction (8 columns a row stay under 32,767 query parameters).
_CHUNK = 4000
_NOTICE_NS = uuid.UUID("3d0f3f8e-6a53-5b8e-9a3e-25c1c0d6e0a1")
_D, _M, _E = table(DeliveryRow), table(MessageRow), table(EscalationRow)
_CHANGE = table(MessageRow).alias("change")
_DONE = ("completed", "rejected", *sorted(_ENDED))


@dataclass(frozen=True, slots=True)
class Notice:
    """One overdue delivery told about at one level, to ``unit``."""

    message_id: str
    recipient: str
    level: str
    unit: str
    sender: str
    subject: str
    due_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The webhook body (and the audit detail)."""
        return {
            "event": "delivery.overdue",
            "message_id": self.message_id,
            "recipient": self.recipient,
            "level": self.level,
            "told": self.unit,
            "sender": self.sender,
            "subject": self.subject,
            "due_at": self.due_at.isoformat(),
        }

    def text(self) -> str:
        """One line in words (notice subject, mail subject)."""
        what = "chưa nhận" if self.level.endswith("received") else "chưa hoàn thành"
        return f"Quá hạn: {self.recipient} {what} văn bản “{self.subject}”"


def _late(level: str, cutoff: datetime) -> list[Any]:
    """Conditions on deliveries ⋈ messages: past ``level``'s due time at ``cutoff``,
    still without the answer it waits for, the document not revoked or replaced."""
    received = level.endswith("received")
    due = _M.c.due_received_at if received else _M.c.due_completed_at
    still_open = one_of(_D.c.state, _UNANSWERED) if received else ~one_of(_D.c.state, _DONE)
    withdrawn = exists().where(
        _CHANGE.c.refers_to == _M.c.id, one_of(_CHANGE.c.kind, ("revoke", "replace"))
    )
    return [due < cutoff, still_open, ~withdrawn]


def _overdue(level: str, cutoff: datetime) -> Any:
    """Deliveries late for ``level`` at ``cutoff`` with no row for ``level`` yet."""
    due = _M.c.due_received_at if level.endswith("received") else _M.c.due_completed_at
    told = exists().where(
        _E.c.message_id == _D.c.message_id, _E.c.recipient == _D.c.recipient, _E.c.level == level
    )
    return (
        select(_D.c.message_id, _D.c.recipient, _M.c.sender, _M.c.subject, due.label("due_at"))
        .join(_M, _M.c.id == _D.c.message_id)
        .where(*_late(level, cutoff), ~told)
    )


async def overdue_counts(session: AsyncSession, now: datetime) -> dict[str, int]:
    """How many deliveries are overdue now, by due time (``received``, ``completed``),
    told or not (the ``lienthong_overdue_deliveries`` gauge, the console)."""
    counts = {}
    for level in ("received", "completed"):
        query = (
            select(func.count())
            .select_from(_D.join(_M, _M.c.id == _D.c.message_id))
            .where(*_late(level, now))
        )
        counts[level] = int((await session.execute(query)).scalar_one())
    return counts


class Escalation:
    """Find overdue deliveries, claim each once, tell the configured targets."""

    def __init__(
        self,
        db: Database,
        config: DeadlinesConfig,
        *,
        on_notice: Callable[[str], None] = lambda unit: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        home: Path | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.on_notice = on_notice
        self.clock = clock
        self.sends = Sends(db, lambda: self.clock())
        self.channels: dict[str, Callable[[Notice], Awaitable[str]]] = {}
        if config.webhook_url:
            secret = load_secret(config, home)
            if secret is None:
                log.warning("escalation.webhook_unsigned", url=config.webhook_url)
            self.channels["webhook"] = Webhook(config.webhook_url, secret)
        if config.smtp_host and config.mail_to:
            mail = Mail.of(config)
            self.channels["mail"] = lambda notice: asyncio.to_thread(mail, notice)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run :meth:`run` in the background (not when ``check_seconds`` is 0)."""
        if self.config.check_seconds > 0 and self._task is None:
            self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        """Stop the background passes."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    @property
    def external(self) -> bool:
        """True when a webhook or mail is configured (else a claim is notified at once)."""
        return bool(self.channels)

    async def run_once(self) -> list[Notice]:
        """One pass: claim what is newly overdue, tell it; the notices this process sent."""
        now = self.clock()
        claimed: list[Notice] = []
        parent_after = timedelta(hours=self.config.parent_after_hours)
        for level in LEVELS:
            cutoff = now - parent_after if level.startswith("parent_") else now
            while True:
                async with self.db.read() as session:
                    rows = (await session.execute(_overdue(level, cutoff).limit(_CHUNK))).all()
                if not rows:
                    break
                claimed.extend(await self._claim(level, rows, now))
                if len(rows) < _CHUNK:
                    break
        claimed.extend(await self._taken_over(now))
        for unit in {n.unit for n in claimed}:
            self.on_notice(unit)
        if self.external:
            for notice in claimed:
                await self._notify(notice)
        return claimed

    async def _claim(self, level: str, rows: Sequence[Any], now: datetime) -> list[Notice]:
        """Insert the rows' escalations (and notices, audit) in one transaction; the ones
        this call inserted."""
        async with self.db.session(write=True) as session:
            told = await self._told_units(session, level, rows)
            values = [
                {
                    "message_id": r.message_id,
                    "recipient": r.recipient,
                    "level": level,
                    "unit": told.get(r.sender, ""),
                    "due_at": r.due_at,
                    "claimed_at": now,
                    "notified_at": None if self.external else now,
                }
                for r in rows
            ]
            insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
            statement = (
                insert(_E)
                .values(values)
                .on_conflict_do_nothing(index_elements=["message_id", "recipient", "level"])
                .returning(_E.c.message_id, _E.c.recipient)
            )
            won = {(r.message_id, r.recipient) for r in await session.execute(statement)}
            notices = [
                Notice(
                    r.message_id,
                    r.recipient,
                    level,
                    told.get(r.sender, ""),
                    r.sender,
                    r.subject,
                    r.due_at,
                )
                for r in rows
                if (r.message_id, r.recipient) in won
            ]
            await self._record(session, [n for n in notices if n.unit], now)
            return [n for n in notices if n.unit]

    async def _told_units(
        self, session: AsyncSession, level: str, rows: Sequence[Any]
    ) -> dict[str, str]:
        """Sender → the unit to tell: the sender itself, or (``parent_…``) its parent."""
        senders = sorted({r.sender for r in rows})
        if not level.startswith("parent_"):
            return {s: s for s in senders}
        found = await session.execute(
            select(UnitRow.code, UnitRow.parent_code).where(UnitRow.code.in_(senders))
        )
        return {code: parent for code, parent in found if parent}

    async def _record(
        self, session: AsyncSession, notices: Sequence[Notice], now: datetime
    ) -> None:
        """The system notices in the told units' mailboxes and the audit entries."""
        if not notices:
            return
        items = [
            {
                "unit": n.unit,
                "kind": "notice",
                "message_id": n.message_id,
                "ref": str(uuid.uuid5(_NOTICE_NS, f"{n.message_id}|{n.recipient}|{n.level}")),
                "sender": n.recipient,
                "subject": n.text(),
                "created_at": now,
                "urgency": 0,
            }
            for n in notices
        ]
        items_table = table(MailboxItemRow)
        insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
        await session.execute(
            insert(items_table)
            .values(items)
            .on_conflict_do_nothing(index_elements=["unit", "kind", "ref"])
        )
        for n in notices:
            await audit.append(
                session, "hub", "delivery.overdue", n.message_id, n.recipient, n.to_json()
            )

    async def _taken_over(self, now: datetime) -> list[Notice]:
        """Claims whose process died before notifying: taken over by this pass (one
        ``UPDATE … RETURNING``, so one process takes each)."""
        if not self.external:
            return []
        await self.sends.settle(now)
        async with self.db.session(write=True) as session:
            stale = (
                update(_E)
                .where(
                    _E.c.notified_at.is_(None),
                    _E.c.unit != "",
                    _E.c.claimed_at < now - RETRY_AFTER,
                )
                .values(claimed_at=now)
                .returning(_E.c.message_id, _E.c.recipient, _E.c.level, _E.c.unit, _E.c.due_at)
            )
            rows = (await session.execute(stale)).all()
            if not rows:
                return []
            heads = await session.execute(
                select(_M.c.id, _M.c.sender, _M.c.subject).where(
                    _M.c.id.in_(sorted({r.message_id for r in rows}))
                )
            )
            known = {h.id: h for h in heads}
        return [
            Notice(
                r.message_id,
                r.recipient,
                r.level,
                r.unit,
                known[r.message_id].sender,
                known[r.message_id].subject,
                r.due_at,
            )
            for r in rows
        ]

    async def _notify(self, notice: Notice) -> None:
        """Each channel not tried yet for ``notice``, after its claim; then, when every
        channel has its outcome, the row's ``notified_at`` (audited once)."""
        key = (notice.message_id, notice.recipient, notice.level)
        for channel, send in self.channels.items():
            if await self.sends.claim(key, channel):
                await self.sends.finish(key, channel, await send(notice))
        outcomes = await self.sends.outcomes(key)
        if any(outcomes.get(c, ("sending", ""))[0] not in FINAL for c in self.channels):
            return  # a channel is under way in another process: its pass finishes it
        outcome = {channel: detail for channel, (_state, detail) in outcomes.items()}
        async with self.db.session(write=True) as session:
            marked = await session.execute(
                update(_E)
                .where(
                    and_(
                        _E.c.message_id == notice.message_id,
                        _E.c.recipient == notice.recipient,
                        _E.c.level == notice.level,
                        _E.c.notified_at.is_(None),
                    )
                )
                .values(notified_at=self.clock())
                .returning(_E.c.level)
            )
            if marked.first() is not None:
                detail = {**notice.to_json(), **outcome}
                await audit.append(
                    session,
                    "hub",
                    "escalation.notified",
                    notice.message_id,
                    notice.recipient,
                    detail,
                )

    async def run(self) -> None:
        """Pass after pass every ``check_seconds`` until cancelled (a failed pass is
        logged and the next one tries again)."""
        while True:
            try:
                sent = await self.run_once()
                if sent:
                    log.info("escalation.pass", notices=len(sent))
            except Exception:  # the loop must outlive a bad pass
                log.warning("escalation.pass_failed", exc_info=True)
            await asyncio.sleep(self.config.check_seconds)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"
