"""Renames and moves given a later ``--at``: kept in ``unit_changes`` until their instant,
then applied by the first hub process (or CLI) that reads the directory after it.

Applying is one write transaction per batch: the unit's name or parent, its audit entry
(``unit.renamed``/``unit.moved`` with ``scheduled: true``) and ``applied_at`` together;
a change another process applied first is skipped, so each is applied once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store import audit
from gateway.store.db import Database
from gateway.store.models import UnitChangeRow, UnitRow, utcnow

__all__ = ["apply_due", "next_due", "schedule"]


async def schedule(
    session: AsyncSession,
    row: UnitRow,
    at: datetime,
    *,
    actor: str,
    name: str | None = None,
    moves: bool = False,
    parent: str | None = None,
) -> UnitRow:
    """Keep a rename (``name``) or a move (``moves``, to ``parent``) of ``row`` for ``at``."""
    session.add(
        UnitChangeRow(
            code=row.code,
            name=name,
            moves=int(moves),
            parent=parent,
            effective_at=at,
            created_at=utcnow(),
        )
    )
    await session.flush()
    what = "move" if moves else "rename"
    detail = {"name": name, "parent": parent, "at": at.isoformat()}
    await audit.append(session, actor, f"unit.{what}_scheduled", unit=row.code, detail=detail)
    return row


async def next_due(session: AsyncSession) -> datetime | None:
    """The instant of the earliest change not yet applied (``None``: there is none)."""
    query = select(func.min(UnitChangeRow.effective_at)).where(UnitChangeRow.applied_at.is_(None))
    value = (await session.execute(query)).scalar_one()
    if value is not None and value.tzinfo is None:  # SQLite's aggregate forgets the zone
        value = value.replace(tzinfo=UTC)
    return value


async def apply_due(db: Database, now: datetime) -> int:
    """Apply every change due at ``now`` not applied yet; how many this call applied."""
    async with db.session(write=True) as session:
        query = (
            select(UnitChangeRow)
            .where(UnitChangeRow.applied_at.is_(None), UnitChangeRow.effective_at <= now)
            .order_by(UnitChangeRow.effective_at, UnitChangeRow.id)
        )
        due = list((await session.execute(query)).scalars())
        for change in due:
            await _apply(session, change)
        return len(due)


async def _apply(session: AsyncSession, change: UnitChangeRow) -> None:
    row = await session.get(UnitRow, change.code)
    change.applied_at = utcnow()
    if row is None:
        return
    at = change.effective_at.isoformat()
    if change.moves:
        was, row.parent_code = row.parent_code, change.parent
        detail = {"parent": change.parent, "was": was, "at": at, "scheduled": True}
        await audit.append(session, "hub", "unit.moved", unit=row.code, detail=detail)
    elif change.name:
        was, row.name = row.name, change.name
        detail = {"name": change.name, "was": was, "at": at, "scheduled": True}
        await audit.append(session, "hub", "unit.renamed", unit=row.code, detail=detail)
    await session.flush()
