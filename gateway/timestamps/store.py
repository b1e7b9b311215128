"""What waits for a timestamp and what has one (``timestamps`` table).

Subjects: ``entry`` (ref: the audit seq of a ``message.accepted`` entry; digest: its chained
hash), ``receipt`` (ref: the receipt id; digest: SHA-256 of the receipt XML as stored),
``audit`` (ref: the head's seq; digest: the head's hash). A row without a token waits.

Several hub processes may share one database, each with its stamper: before asking the
TSA, a stamper *claims* waiting rows (:meth:`TimestampStore.claim`) in one atomic
statement — ``UPDATE … WHERE id IN (SELECT … WHERE token IS NULL AND the claim is free
or lapsed … FOR UPDATE SKIP LOCKED) RETURNING …`` on PostgreSQL; SQLite runs writers
one at a time, so the same statement is atomic there — and asks only for the rows it
claimed. A claim lapses at ``claimed_until`` (a stamper that died), so no row waits
for ever, and a failed request gives its row back at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gateway.store.db import Database, execute
from gateway.store.models import AuditRow, ReceiptRow, TimestampRow, table, utcnow

__all__ = ["Stamp", "TimestampStore"]

_T = table(TimestampRow)
_A = table(AuditRow)
_R = table(ReceiptRow)
_FED = ("message.accepted", "receipt.added")


@dataclass(frozen=True)
class Stamp:
    """One row: what was stamped, and the token (None: waiting)."""

    id: int
    subject: str
    ref: str
    message_id: str | None
    digest: str
    token: bytes | None
    requested_at: datetime
    stamped_at: datetime | None
    attempts: int
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        """The JSON form (status, evidence), the token base64 elsewhere."""
        return {
            "subject": self.subject,
            "ref": self.ref,
            "digest": self.digest,
            "state": "stamped" if self.token is not None else "waiting",
            "stamped_at": self.stamped_at.isoformat() if self.stamped_at else None,
            "attempts": self.attempts,
            "last_error": self.last_error,
        }


def _stamp(row: Any) -> Stamp:
    return Stamp(**{k: getattr(row, k) for k in Stamp.__dataclass_fields__})


class TimestampStore:
    """Queue, record and read timestamps."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _enqueue(self, session: Any, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        insert = postgresql.insert if self.db.is_postgresql else sqlite.insert
        now = utcnow()
        values = [dict(r, requested_at=now, attempts=0) for r in rows]
        done = await execute(
            session, insert(_T).values(values).on_conflict_do_nothing().returning(_T.c.id)
        )
        return len(done.all())

    async def watermark(self) -> int:
        """The newest audit seq already fed (entries and heads are fed in seq order)."""
        async with self.db.read() as session:
            row = (
                await execute(
                    session,
                    select(_T.c.ref)
                    .where(_T.c.subject.in_(("entry", "audit")))
                    .order_by(_T.c.id.desc())
                    .limit(1),
                )
            ).first()
        return int(row.ref) if row else 0

    async def feed(self, after: int, limit: int = 500) -> int:
        """Queue the accepted messages and receipts audited after seq ``after``; the
        newest seq looked at."""
        async with self.db.session(write=True) as session:
            rows = (
                await execute(
                    session,
                    select(_A.c.seq, _A.c.action, _A.c.message_id, _A.c.hash, _A.c.detail)
                    .where(_A.c.seq > after, _A.c.action.in_(_FED))
                    .order_by(_A.c.seq)
                    .limit(limit),
                )
            ).all()
            queued = [await self._subject_of(session, r) for r in rows]
            await self._enqueue(session, [q for q in queued if q is not None])
        return rows[-1].seq if rows else after

    async def _subject_of(self, session: Any, row: Any) -> dict[str, Any] | None:
        if row.action == "message.accepted":
            return {"subject": "entry", "ref": str(row.seq), "message_id": row.message_id,
                    "digest": row.hash}  # fmt: skip
        rid = (row.detail or {}).get("receipt_id")
        found = (
            await execute(session, select(_R.c.receipt_xml).where(_R.c.receipt_id == rid))
        ).first()
        if found is None:
            return None
        digest = hashlib.sha256(found.receipt_xml).hexdigest()
        return {"subject": "receipt", "ref": rid, "message_id": row.message_id, "digest": digest}

    async def head(self) -> tuple[int, str] | None:
        """The audit chain's head (seq, hash)."""
        async with self.db.read() as session:
            row = (
                await execute(
                    session, select(_A.c.seq, _A.c.hash).order_by(_A.c.seq.desc()).limit(1)
                )
            ).first()
        return (row.seq, row.hash) if row else None

    async def last_head(self) -> tuple[int, datetime] | None:
        """The newest head queued: (seq, when asked)."""
        async with self.db.read() as session:
            row = (
                await execute(
                    session,
                    select(_T.c.ref, _T.c.requested_at)
                    .where(_T.c.subject == "audit")
                    .order_by(_T.c.id.desc())
                    .limit(1),
                )
            ).first()
        return (int(row.ref), row.requested_at) if row else None

    async def queue_head(self, seq: int, digest: str) -> None:
        """Queue a stamp of the head ``seq``."""
        async with self.db.session(write=True) as session:
            row = {"subject": "audit", "ref": str(seq), "message_id": None, "digest": digest}
            await self._enqueue(session, [row])

    async def waiting(self, limit: int = 100) -> list[Stamp]:
        """Rows without a token, oldest first."""
        async with self.db.read() as session:
            rows = (
                await execute(
                    session,
                    select(_T).where(_T.c.token.is_(None)).order_by(_T.c.id).limit(limit),
                )
            ).all()
        return [_stamp(r) for r in rows]

    async def claim(self, worker: str, lease: timedelta, limit: int = 20) -> list[Stamp]:
        """Claim up to ``limit`` waiting rows for ``worker`` until ``now + lease``, oldest
        first, in one atomic statement: a row claimed by another live stamper is skipped."""
        now = utcnow()
        free = (
            select(_T.c.id)
            .where(
                _T.c.token.is_(None),
                or_(_T.c.claimed_until.is_(None), _T.c.claimed_until < now),
            )
            .order_by(_T.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(_T)
            .where(_T.c.id.in_(free.scalar_subquery()))
            .values(claimed_by=worker, claimed_until=now + lease)
            .returning(*(_T.c[k] for k in Stamp.__dataclass_fields__))
        )
        async with self.db.session(write=True) as session:
            rows = (await execute(session, claim)).all()
        return sorted((_stamp(r) for r in rows), key=lambda s: s.id)

    async def release(self, worker: str) -> None:
        """Give back the rows ``worker`` claimed and did not stamp."""
        async with self.db.session(write=True) as session:
            await execute(
                session,
                update(_T)
                .where(_T.c.claimed_by == worker, _T.c.token.is_(None))
                .values(claimed_by=None, claimed_until=None),
            )

    async def stamped(self, stamp_id: int, token: bytes) -> None:
        """Record the token of a row (once; another process's token is kept)."""
        async with self.db.session(write=True) as session:
            await execute(
                session,
                update(_T)
                .where(_T.c.id == stamp_id, _T.c.token.is_(None))
                .values(
                    token=token,
                    stamped_at=utcnow(),
                    attempts=_T.c.attempts + 1,
                    claimed_by=None,
                    claimed_until=None,
                ),
            )

    async def failed(self, stamp_id: int, error: str) -> None:
        """Record a failed attempt (the row keeps waiting, its claim given back)."""
        async with self.db.session(write=True) as session:
            await execute(
                session,
                update(_T)
                .where(_T.c.id == stamp_id)
                .values(
                    attempts=_T.c.attempts + 1,
                    last_error=error[:500],
                    claimed_by=None,
                    claimed_until=None,
                ),
            )

    async def of_message(self, message_id: str) -> list[Stamp]:
        """The rows of a message (its accepted entry, its receipts)."""
        async with self.db.read() as session:
            rows = (
                await execute(
                    session, select(_T).where(_T.c.message_id == message_id).order_by(_T.c.id)
                )
            ).all()
        return [_stamp(r) for r in rows]

    async def head_stamp_after(self, seq: int) -> Stamp | None:
        """The first stamped head at or after audit seq ``seq``."""
        async with self.db.read() as session:
            rows = (
                await execute(
                    session,
                    select(_T)
                    .where(_T.c.subject == "audit", _T.c.token.is_not(None))
                    .order_by(_T.c.id),
                )
            ).all()
        return next((_stamp(r) for r in rows if int(r.ref) >= seq), None)

    async def counts(self, message_id: str) -> dict[str, int]:
        """``{"stamped": n, "waiting": m}`` of a message."""
        async with self.db.read() as session:
            rows = (
                await execute(
                    session,
                    select(_T.c.token.is_(None).label("waiting"), func.count())
                    .where(_T.c.message_id == message_id)
                    .group_by(_T.c.token.is_(None)),
                )
            ).all()
        out = {"stamped": 0, "waiting": 0}
        for waiting, n in rows:
            out["waiting" if waiting else "stamped"] = int(n)
        return out
