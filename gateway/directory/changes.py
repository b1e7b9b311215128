"""Changes of the directory that keep lineage: rename, move, retire, merge, split, recode.

Each function runs in the caller's write session (one change, or a whole plan in one
transaction), checks before it writes, and appends an audit entry. A retired unit keeps
its row (``valid_until``) and gets ``unit_links`` to its successors, so that history
stays true and routing can follow it (:mod:`gateway.directory.lineage`).

When a change takes effect now, explicit groups that list the retired unit list its
successor instead, groups defined below it and its child units move to the successor
(a re-code moves them to the new code). A scheduled change leaves the tree alone until
then: routing resolves a retired code at read time, groups included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.directory import rows, scheduled
from gateway.directory.csv_import import check_directory_code
from gateway.directory.lineage import parse_at
from gateway.directory.rows import check_name, known_unit
from gateway.errors import DirectoryError, RequestError, UnitExistsError, UnknownUnitError
from gateway.store import audit
from gateway.store.models import GroupMemberRow, GroupRow, UnitLinkRow, UnitRow, utcnow

__all__ = ["ACTIONS", "from_fields", "merge", "move", "recode", "rename", "retire", "split"]

#: The kinds of link, i.e. how a unit ended.
KINDS = ("retire", "merge", "split", "recode")


def _iso(at: datetime) -> str:
    return at.isoformat()


async def unit_row(session: AsyncSession, code: str) -> UnitRow:
    """The unit ``code``; ``directory.unknown_unit`` if there is none."""
    return await rows.unit_row(session, code)


def _not_retired(row: UnitRow, at: datetime, what: str = "unit") -> None:
    if row.valid_until is not None:
        code = "directory.successor_retired" if what == "successor" else "directory.unit_retired"
        raise DirectoryError(
            f"{what} {row.code} is retired (from {_iso(row.valid_until)})",
            code=code,
            http_status=409,
        )
    if row.valid_from is not None and row.valid_from > at:
        raise DirectoryError(
            f"{what} {row.code} only starts at {_iso(row.valid_from)}, after {_iso(at)}",
            code="directory.invalid",
        )


def _effective_now(at: datetime) -> bool:
    """True when a change at ``at`` takes effect now (the tree follows it at once)."""
    return at <= utcnow()


async def _ancestors(session: AsyncSession, code: str) -> set[str]:
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current not in seen:
        seen.add(current)
        row = await session.get(UnitRow, current)
        current = row.parent_code if row is not None else None
    return seen


async def rename(
    session: AsyncSession, code: str, name: str, at: datetime, *, actor: str
) -> UnitRow:
    """Give ``code`` a new name, now or at ``at`` (:mod:`gateway.directory.scheduled`)."""
    row = await unit_row(session, code)
    _not_retired(row, at)
    if not _effective_now(at):
        return await scheduled.schedule(session, row, at, actor=actor, name=check_name(name))
    was, row.name = row.name, check_name(name)
    await audit.append(
        session, actor, "unit.renamed", unit=code, detail={"name": row.name, "was": was}
    )
    return row


async def move(
    session: AsyncSession, code: str, parent: str | None, at: datetime, *, actor: str
) -> UnitRow:
    """Put ``code`` under ``parent``, now or at ``at`` (``directory.cycle`` if it would
    loop as the tree stands when the move is made)."""
    row = await unit_row(session, code)
    _not_retired(row, at)
    if parent is not None:
        _not_retired(await unit_row(session, parent), at, "parent")
        if code in await _ancestors(session, parent):
            raise DirectoryError(f"{parent} is {code} or below it", code="directory.cycle")
    if not _effective_now(at):
        return await scheduled.schedule(session, row, at, actor=actor, moves=True, parent=parent)
    was, row.parent_code = row.parent_code, parent
    await session.flush()
    await audit.append(
        session, actor, "unit.moved", unit=code, detail={"parent": parent, "was": was}
    )
    return row


async def retire(
    session: AsyncSession,
    code: str,
    successors: Sequence[str],
    at: datetime,
    *,
    actor: str,
    kind: str = "retire",
) -> UnitRow:
    """Close ``code`` at ``at``; documents to it go to ``successors[0]`` from then on.

    ``directory.unit_retired`` if it already is, ``directory.successor_retired`` if a
    successor is (or will be), ``directory.cycle`` if a successor descends from it in
    lineage, ``directory.unknown_unit`` for an unknown code."""
    row = await unit_row(session, code)
    _not_retired(row, at)
    if not successors:
        raise DirectoryError(f"{code}: a successor is needed", code="directory.invalid")
    for successor in dict.fromkeys(successors):
        if successor == code:
            raise DirectoryError(f"{code} cannot succeed itself", code="directory.cycle")
        _not_retired(await unit_row(session, successor), at, "successor")
    row.valid_until = at
    now = utcnow()
    for successor in dict.fromkeys(successors):
        session.add(
            UnitLinkRow(
                predecessor=code, successor=successor, kind=kind, effective_at=at, created_at=now
            )
        )
    await session.flush()
    detail = {"successors": list(successors), "kind": kind, "at": _iso(at)}
    await audit.append(session, actor, f"unit.{_ACTIONS[kind]}", unit=code, detail=detail)
    if _effective_now(at):
        await follow(session, code, successors[0], actor=actor, children=kind != "split")
    return row


_ACTIONS = {"retire": "retired", "merge": "merged", "split": "split", "recode": "recoded"}


async def follow(
    session: AsyncSession, old: str, new: str, *, actor: str, children: bool = True
) -> None:
    """Groups (and, unless ``children`` is False, child units) of ``old`` go to ``new``."""
    listed = select(GroupMemberRow.group_code).where(GroupMemberRow.unit_code == old)
    for group in list((await session.execute(listed)).scalars()):
        has_new = await session.get(GroupMemberRow, (group, new))
        member = await session.get(GroupMemberRow, (group, old))
        if member is not None:
            await session.delete(member)
        if has_new is None:
            session.add(GroupMemberRow(group_code=group, unit_code=new))
        await session.flush()
        detail = {"group": group, "removed": old, "added": new}
        await audit.append(session, actor, "group.followed", unit=new, detail=detail)
    below = update(GroupRow).where(GroupRow.parent_code == old).values(parent_code=new)
    await session.execute(below)
    if children:
        query = select(UnitRow).where(UnitRow.parent_code == old, UnitRow.valid_until.is_(None))
        for child in list((await session.execute(query)).scalars()):
            child.parent_code = new
            detail = {"parent": new, "was": old}
            await audit.append(session, actor, "unit.moved", unit=child.code, detail=detail)
    await session.flush()


async def add_unit(
    session: AsyncSession,
    code: str,
    name: str,
    parent: str | None,
    at: datetime,
    *,
    actor: str,
) -> UnitRow:
    """A new unit valid from ``at`` (the target of a merge, a re-code, a plan's add)."""
    code = check_directory_code(code)
    if await session.get(UnitRow, code) is not None:
        raise UnitExistsError(f"unit {code} exists", http_status=409)
    if await session.get(GroupRow, code) is not None:
        raise DirectoryError(f"{code} is a group", code="directory.group_exists", http_status=409)
    if parent is not None:
        _not_retired(await unit_row(session, parent), at, "parent")
    now = utcnow()
    row = UnitRow(
        code=code,
        name=check_name(name),
        parent_code=parent,
        created_at=now,
        valid_from=at if at > now else None,
    )
    session.add(row)
    await session.flush()
    detail = {"name": row.name, "parent": parent, "at": _iso(at)}
    await audit.append(session, actor, "unit.added", unit=code, detail=detail)
    return row


async def recode(session: AsyncSession, old: str, new: str, at: datetime, *, actor: str) -> UnitRow:
    """Give ``old`` the code ``new`` from ``at``: a new row with its name and parent, and
    ``old`` retired into it (the old code stays an alias: it forwards, even on a hub set
    to refuse retired codes)."""
    row = await unit_row(session, old)
    _not_retired(row, at)
    made = await add_unit(session, new, row.name, row.parent_code, at, actor=actor)
    await retire(session, old, [made.code], at, actor=actor, kind="recode")
    return made


async def merge(
    session: AsyncSession,
    codes: Sequence[str],
    into: str,
    at: datetime,
    *,
    actor: str,
    name: str | None = None,
    parent: str | None = None,
) -> UnitRow:
    """Merge ``codes`` into ``into``: a survivor keeps its code; a code not yet in the
    directory is made (``name`` needed) and valid from ``at``."""
    target = await known_unit(session, into)
    if target is None:
        if not name:
            raise UnknownUnitError(f"{into} is not a unit: give --name (and --parent) to make it")
        target = await add_unit(session, into, name, parent, at, actor=actor)
    merged = [c for c in dict.fromkeys(codes) if c != into]
    if not merged:
        raise DirectoryError("nothing to merge", code="directory.invalid")
    for code in merged:
        await retire(session, code, [into], at, actor=actor, kind="merge")
    return target


async def split(
    session: AsyncSession, code: str, into: Sequence[str], at: datetime, *, actor: str
) -> UnitRow:
    """Split ``code`` into the units ``into`` (documents to it go to the first)."""
    if len(set(into)) < 2:
        raise DirectoryError("a split needs two units or more", code="directory.invalid")
    return await retire(session, code, list(into), at, actor=actor, kind="split")


#: The changes reachable by name (HTTP API, plans): action → fields it reads.
ACTIONS = {
    "rename": ("name",),
    "move": ("parent",),
    "retire": ("successor",),
    "merge": ("into", "name", "parent"),
    "recode": ("new_code",),
    "split": ("into",),
}


def _text(fields: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = fields.get(name)
    if value is None or value == "":
        if required:
            raise RequestError(f"{name!r} is needed", code="request.missing_field")
        return None
    if not isinstance(value, str):
        raise RequestError(f"{name!r} must be a string", code="request.invalid")
    return value


def _codes(fields: Mapping[str, Any], name: str) -> list[str]:
    value = fields.get(name)
    if isinstance(value, str):
        value = [c.strip() for c in value.split(",") if c.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise RequestError(f"{name!r} must be a list of unit codes", code="request.invalid")
    return list(value)


def from_fields(
    action: str, code: str, fields: Mapping[str, Any]
) -> Callable[[AsyncSession, str], Awaitable[UnitRow]]:
    """The change ``action`` of ``code`` as named in a request body, at its ``at`` (ISO
    8601 with an offset; absent: now). ``request.*`` for a field missing or of the wrong
    type; unknown fields are ignored."""
    at = parse_at(_text(fields, "at", required=False))
    if action == "rename":
        name = _text(fields, "name") or ""
        return lambda s, actor: rename(s, code, name, at, actor=actor)
    if action == "move":
        parent = _text(fields, "parent", required=False)
        return lambda s, actor: move(s, code, parent, at, actor=actor)
    if action == "retire":
        successor = _text(fields, "successor") or ""
        return lambda s, actor: retire(s, code, [successor], at, actor=actor)
    if action == "merge":
        survivor = _text(fields, "into") or ""
        new_name = _text(fields, "name", required=False)
        under = _text(fields, "parent", required=False)
        return lambda s, actor: merge(
            s, [code], survivor, at, actor=actor, name=new_name, parent=under
        )
    if action == "recode":
        new = _text(fields, "new_code") or ""
        return lambda s, actor: recode(s, code, new, at, actor=actor)
    if action == "split":
        parts = _codes(fields, "into")
        return lambda s, actor: split(s, code, parts, at, actor=actor)
    raise RequestError(f"unknown change {action[:20]!r}", code="request.invalid")
