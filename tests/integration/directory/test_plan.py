"""Restructuring plans on both databases: the An Giang-shaped plan on the demo directory
applies as one act; a plan with problems is refused whole, every problem listed."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.cli.demo import _units_csv
from gateway.cli.demo_data import build_province
from gateway.cli.demo_restructure import restructuring_plan, survivor_of
from gateway.directory import Directory
from gateway.directory.plan import apply_plan
from gateway.errors import DirectoryError

pytestmark = pytest.mark.integration


@pytest.fixture
async def demo(db: Any) -> Directory:
    province = build_province()
    directory = Directory(db)
    await directory.import_csv(_units_csv(province))
    for group, district in province.district_groups.items():
        await directory.add_children_group(group, district)
    await directory.add_group("000.00.99.G01", [c.code for c in province.communes[:10]])
    await directory.add_descendants_group(province.all_communes_group, province.province.code, 2)
    return directory


async def test_an_giang_plan_dry_run_then_apply(demo: Directory) -> None:
    """Dry run lists every step and changes nothing; applying retires the 11 districts,
    merges the communes, moves the survivors and their groups follow."""
    province = build_province()
    merged = survivor_of(province)
    plan = restructuring_plan(province)
    dry = await apply_plan(demo.db, plan, dry_run=True)
    assert not dry.applied and len([s for s in dry.steps if s.startswith("line")]) == 163
    assert dry.touched["units retired"] == 11 and dry.touched["units merged"] == len(merged)
    assert (await demo.get(province.districts[0].code)).valid_until is None

    done = await apply_plan(demo.db, plan)
    assert done.applied
    top = province.province.code
    demo.lineage.forget()
    for district in province.districts:
        assert (await demo.get(district.code)).valid_until is not None
        assert await demo.expand([district.code]) == [top]
    gone, survivor = next(iter(merged.items()))
    assert await demo.expand([gone]) == [survivor]
    live = [u for u in await demo.children(top) if u.valid_until is None]
    assert len(live) == len(province.communes) - len(merged) == 99
    explicit = (await demo.group("000.00.99.G01")).members
    assert gone not in explicit and survivor in explicit
    assert any(s.startswith("group ") for s in done.steps)
    everyone = await demo.expand([province.all_communes_group])
    assert len(everyone) == 99 and top not in everyone  # the group followed the communes


async def test_plan_with_problems_is_refused_whole(demo: Directory) -> None:
    """Unknown codes, a cycle, a code used twice, a retired successor and a bad action are
    all listed, and nothing of the plan is applied."""
    province = build_province()
    d1, d2 = province.districts[0].code, province.districts[1].code
    c1 = province.communes_of(d1)[0].code
    plan = "\n".join(
        [
            "action,code,new_code,name,parent,successor,effective_at",
            f"rename,{d2},,Huyện mới,,,",
            f"move,{d1},,,{c1},,",
            "retire,000.77.77.H53,,,,000.00.00.H53,",
            f"retire,{c1},,,,{d2},",
            f"merge,{c1},,,,{d2},",
            f"retire,{province.districts[3].code},,,,{province.districts[4].code},",
            f"retire,{province.districts[2].code},,,,{province.districts[3].code},",
            "explode,000.00.00.H53,,,,,",
        ]
    )
    with pytest.raises(DirectoryError) as caught:
        await apply_plan(demo.db, plan)
    message = caught.value.message
    assert caught.value.code == "directory.plan_refused"
    expected = [
        "unknown action 'explode'",
        "used twice",
        "directory.cycle",
        "directory.unknown_unit",
        "directory.successor_retired",
    ]
    for problem in expected:
        assert problem in message, message
    assert (await demo.get(d2)).name == "UBND huyện 2"
    assert (await demo.get(c1)).valid_until is None
