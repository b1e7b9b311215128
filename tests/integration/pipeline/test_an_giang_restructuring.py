"""The 2025 An Giang restructuring replayed on the demo directory, on the embedded stack:
10,000 pending items and documents in flight; after the plan every item reaches the right
unit exactly once and answers to old documents are accepted."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.cli.demo import prepare_directory
from gateway.cli.demo_data import build_province
from gateway.cli.demo_restructure import restructuring_plan, survivor_of
from gateway.directory import Principal
from gateway.directory.plan import apply_plan
from gateway.hub import Hub
from gateway.store.models import AuditRow, MailboxItemRow
from tests.support.api_world import hub_config

pytestmark = pytest.mark.integration

#: 66 broadcasts to the 152 communes: 10,032 pending items.
BROADCASTS = 66
IN_FLIGHT = 5


async def _broadcast(hub: Hub, sender: str, group: str, n: int, tag: str) -> list[str]:
    me = Principal(unit=sender)
    ids = []
    for i in range(n):
        meta = {"to": [group], "subject": f"Công văn {tag} {i}"}
        ids.append((await hub.submit_document(me, meta, [])).message_id)
    return ids


async def _pending_total(hub: Hub, units: list[str]) -> int:
    """Items not yet acked in the mailboxes of ``units`` (one count in the database)."""
    query = select(func.count(MailboxItemRow.item_id)).where(
        MailboxItemRow.unit.in_(units), MailboxItemRow.acked_at.is_(None)
    )
    async with hub.db.read() as session:
        return int((await session.execute(query)).scalar_one())


async def _drain(hub: Hub, unit: str) -> list[tuple[str, str]]:
    """Read and ack ``unit``'s whole mailbox: (message id, unit it was addressed to)."""
    seen: list[tuple[str, str]] = []
    me = Principal(unit=unit)
    while items := await hub.mailbox(me, wait=0, limit=500):
        seen += [(i["message_id"], i.get("handed_over_from", unit)) for i in items]
        await hub.ack_items(me, [i["item_id"] for i in items])
    return seen


async def test_an_giang_restructuring_loses_nothing(tmp_home: Path, sqlite_url: str) -> None:
    """Apply the An Giang-shaped plan over 10,032 pending items and documents in flight:
    every item is read once, by the surviving unit; answers by survivors are accepted."""
    hub = Hub(hub_config(tmp_home, sqlite_url, "local://"))
    await hub.start()
    try:
        province = build_province()
        await prepare_directory(hub, province)
        await hub.consumers.sync()
        communes = [c.code for c in province.communes]
        top = province.province.code
        old = await _broadcast(hub, top, province.all_communes_group, BROADCASTS, "cũ")
        for _ in range(600):
            if await _pending_total(hub, communes) == BROADCASTS * len(communes):
                break
            await asyncio.sleep(0.1)
        assert await _pending_total(hub, communes) == BROADCASTS * len(communes)
        flying = await _broadcast(hub, top, province.all_communes_group, IN_FLIGHT, "bay")

        report = await apply_plan(hub.db, restructuring_plan(province), actor="test")
        merged = survivor_of(province)
        handed = report.touched["pending items handed over"]
        assert report.applied and handed >= BROADCASTS * len(merged)
        hub.directory.lineage.forget()
        # every document in flight lands in a mailbox before the survivors read
        total = (BROADCASTS + IN_FLIGHT) * len(communes)
        for _ in range(600):
            if await _pending_total(hub, communes) == total:
                break
            await asyncio.sleep(0.1)

        read: Counter[tuple[str, str]] = Counter()
        for code in communes:
            if code not in merged:
                for item in await _drain(hub, code):
                    read[item] += 1
        expected = {(m, c) for m in old + flying for c in communes}
        assert set(read) == expected and max(read.values()) == 1
        assert await _pending_total(hub, communes) == 0
        # each item read by a survivor is in its message's timeline once (issue 24 item 4)
        recorded = select(func.count(AuditRow.seq)).where(AuditRow.action == "mailbox.handed_over")
        async with hub.db.read() as session:
            handovers = int((await session.execute(recorded)).scalar_one())
        assert handovers == sum(1 for _m, c in read if c in merged)

        gone, survivor = next(iter(merged.items()))
        answer = await hub.post_receipt(Principal(unit=survivor), old[0], status="accepted")
        assert answer
        entry = next(
            r
            for r in (await hub.status(Principal(operator="ops"), old[0]))["recipients"]
            if r["unit"] == gone
        )
        assert (entry["state"], entry["forwarded_to"]) == ("accepted", survivor)
        assert [(h["from"], h["to"]) for h in entry["handovers"]] == [(gone, survivor)]
        after = await _broadcast(hub, top, gone, 1, "mới")
        recipients = (await hub.status(Principal(operator="ops"), after[0]))["recipients"]
        assert [(r["unit"], r["addressed_to"]) for r in recipients] == [(survivor, gone)]
    finally:
        await hub.stop()
