"""The directory on both databases: tree, groups, CSV import, expansion."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.directory import Directory
from gateway.errors import DirectoryError, RoutingError

pytestmark = pytest.mark.integration

PROVINCE = "000.00.00.H01"
D1, D2 = "000.00.01.H01", "000.00.02.H01"
C11, C12, C21 = "000.01.01.H01", "000.01.02.H01", "000.02.01.H01"

TREE_CSV = f"""code,name,parent
{C11},Xã 1-1,{D1}
{C12},Xã 1-2,{D1}
{C21},Xã 2-1,{D2}
{D1},Huyện 1,{PROVINCE}
{D2},Huyện 2,{PROVINCE}
{PROVINCE},Tỉnh,
"""


@pytest.fixture
async def tree(db: Any) -> Directory:
    directory = Directory(db)
    assert (await directory.import_csv(TREE_CSV)).created == 6
    return directory


async def test_tree_queries(tree: Directory) -> None:
    """Children are direct; descendants go to any depth, or exactly the asked depth."""
    assert [u.code for u in await tree.children(PROVINCE)] == [D1, D2]
    assert [u.code for u in await tree.descendants(PROVINCE)] == [D1, D2, C11, C12, C21]
    assert [u.code for u in await tree.descendants(PROVINCE, depth=2)] == [C11, C12, C21]
    unit = await tree.get(C12)
    assert (unit.name, unit.parent, unit.last_seen_at) == ("Xã 1-2", D1, None)
    assert len(await tree.list()) == 6


async def test_add_checks_code_parent_and_duplicates(tree: Directory) -> None:
    """Bad codes, unknown parents and existing codes are refused with their codes."""
    cases = [
        (("bad code", "x", None), "directory.bad_unit_code"),
        (("000.09.09.H01", "x", "000.99.99.H99"), "directory.unknown_unit"),
        ((D1, "again", PROVINCE), "directory.unit_exists"),
        (("000.03.00.H01", "   ", PROVINCE), "directory.invalid"),
    ]
    for (code, name, parent), expected in cases:
        with pytest.raises(DirectoryError) as info:
            await tree.add(code, name, parent)
        assert info.value.code == expected
    deep = await tree.add("000.01.01.01.H01", "Thôn", C11)  # a fourth level is fine
    assert deep.parent == C11


async def test_moving_a_unit_under_its_descendant_is_a_cycle(tree: Directory) -> None:
    """set_parent refuses a parent at or below the unit; a legal move takes effect."""
    for parent in (C11, D1):
        with pytest.raises(DirectoryError) as info:
            await tree.set_parent(D1, parent)
        assert info.value.code == "directory.cycle"
    await tree.set_parent(C21, D1)  # units merge: commune 2-1 joins district 1
    assert [u.code for u in await tree.children(D1)] == [C11, C12, C21]


async def test_csv_import_is_all_or_nothing(db: Any) -> None:
    """One bad row (an unknown parent) means none of the file is added or changed."""
    directory = Directory(db)
    await directory.add(PROVINCE, "Tỉnh")
    with pytest.raises(DirectoryError) as info:
        await directory.import_csv(
            f"{D1},Huyện 1,{PROVINCE}\n{PROVINCE},Tỉnh mới,\n{D2},Huyện 2,000.00.99.H01\n"
        )
    assert info.value.code == "directory.unknown_unit"
    assert [(u.code, u.name) for u in await directory.list()] == [(PROVINCE, "Tỉnh")]


async def test_groups_expand_to_distinct_units(tree: Directory) -> None:
    """Explicit, children and depth groups expand now; units and groups mix without repeats."""
    await tree.add_group("000.00.00.G01", [C11, C21], name="Pilot communes")
    await tree.add_children_group("000.00.00.G02", PROVINCE)
    await tree.add_descendants_group("000.00.00.G03", PROVINCE, depth=2)
    assert await tree.expand(["000.00.00.G01"]) == [C11, C21]
    assert await tree.expand(["000.00.00.G02"]) == [D1, D2]
    assert await tree.expand([C12, "000.00.00.G03", D1, C12]) == [C12, C11, C21, D1]
    await tree.add("000.02.02.H01", "Xã mới", D2)  # a new commune joins the depth group
    assert "000.02.02.H01" in await tree.expand(["000.00.00.G03"])
    assert await tree.groups_of(C11) == ["000.00.00.G01", "000.00.00.G03"]


async def test_expand_refuses_unknown_and_empty(tree: Directory) -> None:
    """An unknown addressee is routing.unknown_recipient; nothing left is no_recipients."""
    with pytest.raises(RoutingError) as info:
        await tree.expand([D1, "000.77.77.H77"])
    assert info.value.code == "routing.unknown_recipient"
    await tree.add_children_group("000.00.00.G09", C11)  # a commune has no children
    with pytest.raises(RoutingError) as info:
        await tree.expand(["000.00.00.G09"])
    assert info.value.code == "routing.no_recipients"


async def test_known_units_are_addressed_without_a_read(
    tree: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit found once is routed from memory; unknown codes and group members are still
    looked up each time."""
    assert await tree.expand([D1, C11, D1]) == [D1, C11]
    reads = []
    read = tree.db.read
    monkeypatch.setattr(tree.db, "read", lambda: reads.append(1) or read())
    assert await tree.expand([C11, D1]) == [C11, D1]
    assert reads == []
    with pytest.raises(RoutingError):
        await tree.expand([D1, "000.77.77.H77"])
    await tree.add("000.01.03.H01", "Xã mới", D1)
    await tree.add_group("000.00.00.G05", ["000.01.03.H01"])
    assert await tree.expand([D1, "000.00.00.G05"]) == [D1, "000.01.03.H01"]
    assert len(reads) == 2


async def test_group_codes_do_not_clash(tree: Directory) -> None:
    """A group cannot take a unit's code or another group's, nor list unknown units."""
    with pytest.raises(DirectoryError) as info:
        await tree.add_group(D1, [C11])
    assert info.value.code == "directory.unit_exists"
    await tree.add_group("000.00.00.G01", [C11])
    with pytest.raises(DirectoryError) as info:
        await tree.add_children_group("000.00.00.G01", D1)
    assert info.value.code == "directory.group_exists"
    with pytest.raises(DirectoryError) as info:
        await tree.add_group("000.00.00.G05", ["000.55.55.H55"])
    assert info.value.code == "directory.unknown_unit"


async def test_touch_records_last_seen(tree: Directory) -> None:
    """touch sets last_seen_at to now (timezone-aware)."""
    await tree.touch(D2)
    seen = (await tree.get(D2)).last_seen_at
    assert seen is not None and seen.tzinfo is not None
