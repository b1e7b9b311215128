"""Lineage in the store: the units linked to a code by retirements, merges, splits and
re-codes, for search (``gateway.store.queries``) and the directory."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store.models import UnitLinkRow, UnitRow

__all__ = ["related_codes"]


async def related_codes(session: AsyncSession, code: str) -> list[tuple[str, str]]:
    """``(code, name)`` of every unit linked to ``code`` by lineage, either way and any
    number of steps: search by either code finds a message of the other."""
    found: dict[str, None] = {code: None}
    todo = [code]
    while todo and len(found) < _MAX_RELATED:
        current = todo.pop()
        links = select(UnitLinkRow.predecessor, UnitLinkRow.successor).where(
            or_(UnitLinkRow.predecessor == current, UnitLinkRow.successor == current)
        )
        for before, after in (await session.execute(links)).all():
            for other in (before, after):
                if other not in found:
                    found[other] = None
                    todo.append(other)
    del found[code]
    if not found:
        return []
    named = select(UnitRow.code, UnitRow.name).where(UnitRow.code.in_(list(found)))
    return sorted((r.code, r.name) for r in (await session.execute(named)).all())


#: At most this many units are related to one code (a guard, far above any real case).
_MAX_RELATED = 500
