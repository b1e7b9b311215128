"""The directory's reads and writes of unit rows, inside the caller's session (used by
:class:`gateway.directory.Directory`, its groups, changes and plans)."""

from __future__ import annotations

from sqlalchemy import Select, bindparam, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gateway.directory.csv_import import UnitSpec
from gateway.envelope.model import UNIT_CODE_MAX, UNIT_CODE_RE, check_unit_code
from gateway.errors import DirectoryError, UnitExistsError, UnknownUnitError
from gateway.store import audit
from gateway.store.db import execute
from gateway.store.models import (
    DeliveryRow,
    GroupMemberRow,
    GroupRow,
    MailboxItemRow,
    MessageRow,
    TokenRow,
    UnitRow,
    table,
    utcnow,
)
from gateway.store.prepared import Prepared
from gateway.text import nfc

__all__ = [
    "check_name",
    "descendant_codes",
    "descendants_query",
    "in_use",
    "insert_unit",
    "is_unit",
    "known_unit",
    "opt_code",
    "unit_row",
    "update_unit",
]


def check_name(name: str) -> str:
    name = nfc(name.strip())
    if not name or len(name) > 500:
        raise DirectoryError(
            "a unit needs a name (at most 500 characters)", code="directory.invalid"
        )
    return name


def opt_code(code: str | None) -> str | None:
    return check_unit_code(code) if code else None


async def known_unit(session: AsyncSession, code: str) -> UnitRow | None:
    """The unit ``code``, or ``None`` (also for text that cannot be a code: a NUL byte or
    an overlong string never reaches the database, which would refuse it with a 500)."""
    if len(code) > UNIT_CODE_MAX or not UNIT_CODE_RE.fullmatch(code):
        return None
    return await session.get(UnitRow, code)


async def unit_row(session: AsyncSession, code: str) -> UnitRow:
    row = await known_unit(session, code)
    if row is None:
        raise UnknownUnitError(f"no unit {code}")
    return row


async def update_unit(session: AsyncSession, row: UnitRow, spec: UnitSpec, actor: str) -> bool:
    """Give ``row`` the name and parent of ``spec``; False when it already has them."""
    name = check_name(spec.name)
    if row.name == name and row.parent_code == spec.parent:
        return False
    moved = spec.parent is not None and spec.parent != row.parent_code
    if moved and (
        spec.parent == row.code or spec.parent in await descendant_codes(session, row.code)
    ):
        raise DirectoryError(
            f"unit {row.code}: parent {spec.parent} is {row.code} or below it",
            code="directory.cycle",
        )
    detail = {"name": name, "parent": spec.parent, "was": [row.name, row.parent_code]}
    row.name, row.parent_code = name, spec.parent
    await session.flush()
    await audit.append(session, actor, "unit.updated", unit=row.code, detail=detail)
    return True


async def in_use(session: AsyncSession, code: str) -> str | None:
    """Why ``code`` may not be removed, or ``None``."""
    checks = (
        ("it sent messages", select(MessageRow.id).where(MessageRow.sender == code)),
        ("it received messages", select(DeliveryRow.id).where(DeliveryRow.recipient == code)),
        (
            "its mailbox has items",
            select(MailboxItemRow.item_id).where(MailboxItemRow.unit == code),
        ),
        ("it has child units", select(UnitRow.code).where(UnitRow.parent_code == code)),
        (
            "a group lists it",
            select(GroupMemberRow.unit_code).where(GroupMemberRow.unit_code == code),
        ),
        ("a group is defined below it", select(GroupRow.code).where(GroupRow.parent_code == code)),
        (
            "it has a token that is not revoked (lienthong tokens revoke)",
            select(TokenRow.id).where(TokenRow.unit_code == code, TokenRow.revoked_at.is_(None)),
        ),
    )
    for why, query in checks:
        if (await session.execute(query.limit(1))).first() is not None:
            return why
    return None


async def insert_unit(session: AsyncSession, spec: UnitSpec, actor: str) -> UnitRow:
    if await session.get(UnitRow, spec.code) is not None:
        raise UnitExistsError(f"unit {spec.code} exists")
    if await session.get(GroupRow, spec.code) is not None:
        raise DirectoryError(f"{spec.code} is a group", code="directory.group_exists")
    row = UnitRow(
        code=spec.code, name=check_name(spec.name), parent_code=spec.parent, created_at=utcnow()
    )
    session.add(row)
    await session.flush()
    await audit.append(
        session,
        actor,
        "unit.added",
        unit=spec.code,
        detail={"name": row.name, "parent": spec.parent},
    )
    return row


def descendants_query(code: str, depth: int | None) -> Select[UnitRow]:
    tree = (
        select(UnitRow.code.label("code"), literal(0).label("depth"))
        .where(UnitRow.code == code)
        .cte("tree", recursive=True)
    )
    child = aliased(UnitRow)
    tree = tree.union_all(
        select(child.code, tree.c.depth + 1).where(child.parent_code == tree.c.code)
    )
    query = select(UnitRow).join(tree, UnitRow.code == tree.c.code).where(tree.c.depth > 0)
    if depth is not None:
        query = query.where(tree.c.depth == depth)
    return query.order_by(tree.c.depth, UnitRow.code)


async def descendant_codes(session: AsyncSession, code: str) -> set[str]:
    return {r.code for r in (await session.execute(descendants_query(code, None))).scalars()}


_UNIT = Prepared(select(table(UnitRow).c.code).where(table(UnitRow).c.code == bindparam("code")))


async def is_unit(session: AsyncSession, code: str) -> bool:
    return (await execute(session, _UNIT, {"code": code})).first() is not None
