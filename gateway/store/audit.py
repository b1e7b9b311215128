"""The audit log: append-only, every entry chained to the one before by SHA-256.

``hash = sha256(prev_hash + canonical JSON of (seq, at, actor, action, message_id, unit,
detail))`` with ``prev_hash`` of the first entry all zeros. Editing, inserting or deleting
a row breaks the chain at that row or the one after it, and :func:`verify` names the first
broken ``seq``. (Removing the newest rows leaves a shorter but valid chain: keep a copy of
the head elsewhere — e.g. in the logs — to detect a truncation.)

Appends run inside the caller's transaction, so an entry exists exactly when the state
change it records does. They are serialised: PostgreSQL takes a transaction-scoped
advisory lock; SQLite has a single writer already (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from gateway.store.db import BEFORE_COMMIT, LOCK_WRITES, LOCKED_HEAD, WRITE_LOCKED, execute
from gateway.store.models import AuditRow, table, utcnow
from gateway.store.prepared import Prepared, insert_of

if TYPE_CHECKING:
    from gateway.store.db import Database

__all__ = ["GENESIS", "AuditReport", "append", "entry_hash", "pending", "verify"]

GENESIS = "0" * 64
_LOCK_KEY = 0x4C54_A0D1
_BATCH = 1000


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The result of checking the chain: ``ok``, how many entries, the first broken one."""

    ok: bool
    entries: int
    first_broken_seq: int | None = None
    reason: str | None = None


def _iso(at: datetime) -> str:
    """``%Y-%m-%dT%H:%M:%S.%fZ`` in UTC (the hashed form), without strftime's cost."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    message_id: str | None,
    unit: str | None,
    detail: dict[str, Any],
) -> str:
    """The chained hash of one entry."""
    fields = {
        "seq": seq,
        "at": _iso(at),
        "actor": actor,
        "action": action,
        "message_id": message_id,
        "unit": unit,
        "detail": detail,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


#: The chain's head as this transaction last wrote it (see :func:`append`).
_HEAD = "audit_head"
#: Entries appended in this transaction, inserted together when it commits.
_PENDING = "audit_pending"
_HEAD_QUERY = Prepared(select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1))
_INSERT = insert_of(
    table(AuditRow),
    ["seq", "at", "actor", "action", "message_id", "unit", "detail", "prev_hash", "hash"],
)


async def append(
    session: AsyncSession,
    actor: str,
    action: str,
    message_id: str | None = None,
    unit: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry in the session's transaction; returns its ``seq``.

    The head is read once per transaction (under the lock, which lasts until commit; a
    ``Database`` write session reads it with the lock) and then carried in
    ``session.info``: later entries of the same transaction chain on without reading it
    again. The entries are inserted together, in one statement, when
    the transaction commits (``before_commit``): a rolled-back transaction leaves none.
    """
    head: tuple[int, str] | None = session.info.get(_HEAD)
    locked: tuple[int, str | None] | None = session.info.get(LOCKED_HEAD)
    if head is None and locked is not None:
        head = (locked[0], locked[1] or GENESIS)
    if head is None:
        postgresql = session.bind is not None and session.bind.dialect.name == "postgresql"
        if postgresql and not session.info.get(WRITE_LOCKED):
            await execute(session, LOCK_WRITES, {"k": _LOCK_KEY})
        row = (await execute(session, _HEAD_QUERY)).first()
        head = (row.seq, row.hash) if row else (0, GENESIS)
    seq, prev = head[0] + 1, head[1]
    at = utcnow()
    payload = _json_roundtrip(detail or {})
    digest = entry_hash(
        prev,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        message_id=message_id,
        unit=unit,
        detail=payload,
    )
    session.info.setdefault(_PENDING, []).append(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "message_id": message_id,
            "unit": unit,
            "detail": payload,
            "prev_hash": prev,
            "hash": digest,
        }
    )
    session.info[_HEAD] = (seq, digest)
    return seq


def pending(session: AsyncSession) -> list[dict[str, Any]]:
    """The entries appended in the session's transaction, not inserted yet (what a change
    would write: the console's preview of a directory change lists them)."""
    return list(session.info.get(_PENDING, []))


async def flush(session: AsyncSession) -> None:
    """Insert the transaction's entries in one statement (``Database`` calls it just
    before every commit)."""
    rows = session.info.pop(_PENDING, None)
    if rows:
        await execute(session, _INSERT, rows)


BEFORE_COMMIT.append(flush)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """The same for a session that commits outside ``Database`` (nothing is lost)."""
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.connection().execute(_INSERT.statement, rows)


_SCALARS: Final = (str, int, bool, type(None))


def _json_roundtrip(detail: dict[str, Any]) -> dict[str, Any]:
    """What the database will give back (tuples become lists, keys become strings).

    Most details are flat (text and numbers under text keys): those come back as they are,
    without a JSON dump and load per entry."""
    if all(type(k) is str and type(v) in _SCALARS for k, v in detail.items()):
        return dict(detail)
    result: dict[str, Any] = json.loads(json.dumps(detail, default=str))
    return result


async def verify(db: Database) -> AuditReport:
    """Walk the whole chain in order; report the first row whose link or hash is wrong."""
    expected_seq, prev, count = 1, GENESIS, 0
    async with db.session() as session:  # a server-side cursor needs a transaction
        result = await session.stream(select(AuditRow).order_by(AuditRow.seq))
        async for row in result.scalars():
            problem = _check(row, expected_seq, prev)
            if problem:
                return AuditReport(False, count, row.seq, problem)
            expected_seq, prev, count = row.seq + 1, row.hash, count + 1
    return AuditReport(True, count)


def _check(row: AuditRow, expected_seq: int, prev: str) -> str | None:
    if row.seq != expected_seq:
        return f"expected seq {expected_seq}, found {row.seq} (rows missing or inserted)"
    if row.prev_hash != prev:
        return "prev_hash does not match the previous entry (a row was removed or inserted)"
    recomputed = entry_hash(
        row.prev_hash,
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        message_id=row.message_id,
        unit=row.unit,
        detail=row.detail,
    )
    if recomputed != row.hash:
        return "hash does not match the entry's content (the entry was edited)"
    return None
