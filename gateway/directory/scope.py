"""A leader's scope: a unit and every unit below it, as the directory stands now."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store.models import UnitRow

__all__ = ["subtree"]


async def subtree(session: AsyncSession, root: str) -> frozenset[str]:
    """``root`` and its descendants (one read of the tree, walked in memory)."""
    children: defaultdict[str, list[str]] = defaultdict(list)
    for code, parent in (await session.execute(select(UnitRow.code, UnitRow.parent_code))).all():
        if parent is not None:
            children[parent].append(code)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return frozenset(found)
