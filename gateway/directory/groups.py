"""Groups of units: ``explicit`` (a listed set), ``children`` (every direct child of a
unit, as the tree is *now*) and ``descendants`` (every unit below a unit, or only those
exactly ``depth`` levels below). :class:`DirectoryGroups` is the groups' part of
:class:`gateway.directory.Directory`."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.directory.lineage import Lineage
from gateway.directory.rows import descendants_query, unit_row
from gateway.envelope.model import check_unit_code
from gateway.errors import DirectoryError, RoutingError, UnitExistsError
from gateway.store import audit
from gateway.store.db import Database
from gateway.store.models import GroupMemberRow, GroupRow, UnitRow, utcnow
from gateway.text import nfc

__all__ = ["DirectoryGroups", "Group", "group_members", "group_units"]


@dataclass(frozen=True, slots=True)
class Group:
    """A group: ``kind`` is explicit, children or descendants (of ``parent``)."""

    code: str
    name: str
    kind: str
    parent: str | None = None
    depth: int | None = None
    members: tuple[str, ...] = ()


class DirectoryGroups:
    """Adding, reading and removing groups (a part of the directory)."""

    db: Database
    lineage: Lineage

    async def add_group(
        self, code: str, members: Sequence[str], name: str | None = None, *, actor: str = "admin"
    ) -> Group:
        """An explicit group of the listed units."""
        unique = list(dict.fromkeys(check_unit_code(m) for m in members))
        async with self.db.session(write=True) as session:
            for member in unique:
                await unit_row(session, member)
            row = await insert_group(session, code, name, "explicit", None, None, actor)
            session.add_all(GroupMemberRow(group_code=row.code, unit_code=m) for m in unique)
            return Group(row.code, row.name, row.kind, members=tuple(unique))

    async def add_children_group(
        self, code: str, parent: str, name: str | None = None, *, actor: str = "admin"
    ) -> Group:
        """A group meaning "every direct child of ``parent``" (evaluated when expanded)."""
        return await self.add_descendants_group(code, parent, 1, name, actor=actor, kind="children")

    async def add_descendants_group(
        self,
        code: str,
        parent: str,
        depth: int | None = None,
        name: str | None = None,
        *,
        actor: str = "admin",
        kind: str = "descendants",
    ) -> Group:
        """A group meaning "every unit below ``parent``" (or exactly ``depth`` levels below)."""
        if depth is not None and depth < 1:
            raise DirectoryError("depth must be 1 or more", code="directory.invalid")
        async with self.db.session(write=True) as session:
            await unit_row(session, parent)
            row = await insert_group(session, code, name, kind, parent, depth, actor)
            return Group(row.code, row.name, row.kind, parent, depth)

    async def groups(self) -> builtins.list[Group]:
        """Every group with its current members."""
        await self.lineage.snapshot()  # scheduled renames and moves that are due
        async with self.db.read() as session:
            rows = (await session.execute(select(GroupRow).order_by(GroupRow.code))).scalars()
            return [
                Group(
                    r.code,
                    r.name,
                    r.kind,
                    r.parent_code,
                    r.depth,
                    tuple(await group_members(session, r)),
                )
                for r in rows.all()
            ]

    async def group(self, code: str) -> Group:
        """One group with its current members; ``directory.unknown_group`` if there is none."""
        await self.lineage.snapshot()  # scheduled renames and moves that are due
        async with self.db.read() as session:
            row = await group_row(session, code)
            members = tuple(await group_members(session, row))
            return Group(row.code, row.name, row.kind, row.parent_code, row.depth, members)

    async def remove_group(self, code: str, *, actor: str = "admin") -> None:
        """Delete a group (messages sent to it keep their recipients)."""
        async with self.db.session(write=True) as session:
            row = await group_row(session, code)
            await session.execute(delete(GroupMemberRow).where(GroupMemberRow.group_code == code))
            await session.delete(row)
            await audit.append(
                session, actor, "group.removed", unit=row.parent_code, detail={"group": code}
            )

    async def groups_of(self, unit: str) -> builtins.list[str]:
        """Codes of the groups that currently include ``unit``."""
        return [g.code for g in await self.groups() if unit in g.members]


async def group_row(session: AsyncSession, code: str) -> GroupRow:
    row = await session.get(GroupRow, code)
    if row is None:
        raise DirectoryError(f"no group {code}", code="directory.unknown_group")
    return row


async def insert_group(
    session: AsyncSession,
    code: str,
    name: str | None,
    kind: str,
    parent: str | None,
    depth: int | None,
    actor: str,
) -> GroupRow:
    code = check_unit_code(code)
    if await session.get(GroupRow, code) is not None:
        raise DirectoryError(f"group {code} exists", code="directory.group_exists")
    if await session.get(UnitRow, code) is not None:
        raise UnitExistsError(f"{code} is a unit")
    row = GroupRow(
        code=code,
        name=nfc((name or code).strip()),
        kind=kind,
        parent_code=parent,
        depth=depth,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    await audit.append(
        session,
        actor,
        "group.added",
        unit=parent,
        detail={"group": code, "kind": kind, "depth": depth},
    )
    return row


async def group_members(session: AsyncSession, group: GroupRow) -> builtins.list[str]:
    if group.kind == "explicit":
        query = (
            select(GroupMemberRow.unit_code)
            .where(GroupMemberRow.group_code == group.code)
            .order_by(GroupMemberRow.unit_code)
        )
        return list((await session.execute(query)).scalars())
    assert group.parent_code is not None
    rows = (await session.execute(descendants_query(group.parent_code, group.depth))).scalars()
    now = utcnow()  # a retired unit has left the tree: its successor is reached on its own
    return [r.code for r in rows if r.valid_until is None or r.valid_until > now]


async def group_units(session: AsyncSession, code: str) -> builtins.list[str]:
    """The member units of group ``code``; ``routing.unknown_recipient`` if it is none."""
    group = await session.get(GroupRow, code)
    if group is None:
        raise RoutingError(f"unknown recipient {code[:40]!r}", code="routing.unknown_recipient")
    return await group_members(session, group)
