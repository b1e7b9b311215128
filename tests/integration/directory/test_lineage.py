"""Lineage on both databases: rename, move, retire, merge, split, recode; routing and
tokens follow a retired code at its instant, not before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.directory import Directory, changes
from gateway.directory.lineage import parse_at
from gateway.errors import AuthError, DirectoryError, RoutingError

pytestmark = pytest.mark.integration

PROVINCE = "000.00.00.H01"
D1, D2 = "000.00.01.H01", "000.00.02.H01"
C11, C12, C21 = "000.01.01.H01", "000.01.02.H01", "000.02.01.H01"
NEW = "000.00.09.H01"

TREE_CSV = f"""code,name,parent
{PROVINCE},Tỉnh,
{D1},Huyện 1,{PROVINCE}
{D2},Huyện 2,{PROVINCE}
{C11},Xã 1-1,{D1}
{C12},Xã 1-2,{D1}
{C21},Xã 2-1,{D2}
"""


@pytest.fixture
async def tree(db: Any) -> Directory:
    directory = Directory(db)
    await directory.import_csv(TREE_CSV)
    await directory.add_group("000.00.99.G01", [D1, C21])
    await directory.add_children_group("000.00.98.G01", D1)
    return directory


def at(offset_s: float = 0) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=offset_s)


async def code_of(tree: Directory, make: Any) -> str:
    with pytest.raises(DirectoryError) as caught:
        await tree.change(make)
    return caught.value.code


async def test_merge_now_forwards_and_moves_children_and_groups(tree: Directory) -> None:
    """A merge made now: the code forwards to the survivor, whose lineage names it; the
    merged unit's children and groups follow the survivor."""

    async def make(s: Any, actor: str) -> Any:
        return await changes.merge(s, [D1], D2, at(), actor=actor)

    await tree.change(make)
    assert await tree.expand([D1]) == [D2]
    assert await tree.expand([D1, D2]) == [D2]
    assert {u.code for u in await tree.children(D2)} == {C11, C12, C21}
    assert (await tree.group("000.00.99.G01")).members == (D2, C21)
    assert (await tree.group("000.00.98.G01")).parent == D2
    before, after = await tree.links(D2)
    assert [(k.predecessor, k.kind) for k in before] == [(D1, "merge")] and after == []
    assert (await tree.get(D1)).valid_until is not None


async def test_scheduled_retire_switches_at_the_instant(tree: Directory) -> None:
    """Before --at nothing changes (routing, token); at it both follow the successor."""
    token = await tree.create_token(D1)
    instant = at(3600)

    async def make(s: Any, actor: str) -> Any:
        return await changes.retire(s, D1, [D2], instant, actor=actor)

    await tree.change(make)
    assert await tree.expand([D1]) == [D1]
    assert (await tree.authenticate(token)).unit == D1
    assert [u.code for u in await tree.children(D1)] == [C11, C12]
    tree.lineage.clock = lambda: instant
    assert await tree.expand([D1, "000.00.99.G01"]) == [D2, C21]
    with pytest.raises(AuthError) as caught:
        await tree.authenticate(token)
    assert caught.value.code == "auth.unit_retired"


async def test_refuse_mode_names_the_successor_but_an_alias_forwards(tree: Directory) -> None:
    """A hub set to refuse answers routing.unit_retired naming the successor; a re-coded
    code is an alias and still forwards."""

    async def retire(s: Any, actor: str) -> Any:
        return await changes.retire(s, C11, [C12], at(), actor=actor)

    async def recode(s: Any, actor: str) -> Any:
        return await changes.recode(s, C21, "000.02.09.H01", at(), actor=actor)

    await tree.change(retire)
    await tree.change(recode)
    tree.retired_units = "refuse"
    with pytest.raises(RoutingError) as caught:
        await tree.expand([C11])
    assert caught.value.code == "routing.unit_retired" and C12 in caught.value.message
    assert await tree.expand([C21]) == ["000.02.09.H01"]
    assert (await tree.get("000.02.09.H01")).name == "Xã 2-1"


async def test_split_forwards_to_the_first(tree: Directory) -> None:
    """A split unit forwards to the first unit it was split into; both are successors."""

    async def make(s: Any, actor: str) -> Any:
        return await changes.split(s, D1, [C11, C12], at(), actor=actor)

    await tree.change(make)
    assert await tree.expand([D1]) == [C11]
    assert [k.successor for k in (await tree.links(D1))[1]] == [C11, C12]


async def test_changes_are_refused_with_typed_codes(tree: Directory) -> None:
    """Unknown codes, retired successors, cycles and scheduled renames are refused."""

    async def retire(code: str, successor: str) -> str:
        return await code_of(tree, lambda s, a: changes.retire(s, code, [successor], at(), actor=a))

    assert await retire("000.77.77.H01", D2) == "directory.unknown_unit"
    assert await retire(D1, D1) == "directory.cycle"
    await tree.change(lambda s, a: changes.retire(s, C11, [C12], at(), actor=a))
    assert await retire(C12, C11) == "directory.successor_retired"
    assert await retire(C11, C12) == "directory.unit_retired"
    assert (
        await code_of(tree, lambda s, a: changes.move(s, PROVINCE, C12, at(), actor=a))
        == "directory.cycle"
    )
    renamed = await tree.change(lambda s, a: changes.rename(s, D1, "Phường 1", at(), actor=a))
    assert renamed.name == "Phường 1"


def test_parse_at_needs_an_offset() -> None:
    """--at takes ISO 8601 with an offset; without one, or unreadable, directory.invalid."""
    assert parse_at("2025-07-01T00:00+07:00") == datetime(2025, 6, 30, 17, tzinfo=UTC)
    for bad in ("2025-07-01T00:00", "tomorrow"):
        with pytest.raises(DirectoryError):
            parse_at(bad)


async def test_scheduled_rename_and_move_apply_once_at_their_instant(tree: Directory) -> None:
    """A rename and a move for later change nothing before; at the instant the first
    reader applies them, once, whichever process reads (two directories, one database)."""
    instant = at(3600)
    await tree.change(lambda s, a: changes.rename(s, C11, "Phường 1", instant, actor=a))
    await tree.change(lambda s, a: changes.move(s, C11, D2, instant, actor=a))
    other = Directory(tree.db)
    assert ((await tree.get(C11)).name, (await other.get(C11)).parent) == ("Xã 1-1", D1)
    tree.lineage.clock = other.lineage.clock = lambda: instant
    tree.lineage.forget()
    other.lineage.forget()
    moved = await other.get(C11)
    assert (moved.name, moved.parent) == ("Phường 1", D2)
    assert C11 in {u.code for u in await tree.children(D2)}
    from sqlalchemy import func, select

    from gateway.store.models import AuditRow

    async with tree.db.read() as session:
        count = select(func.count()).where(
            AuditRow.unit == C11, AuditRow.action.in_(("unit.renamed", "unit.moved"))
        )
        assert (await session.execute(count)).scalar_one() == 2
