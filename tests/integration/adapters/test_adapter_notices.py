"""An overdue notice in a unit's mailbox is not pushed into the unit's system by its
adapter (it has no form there): the runner takes it off the list (issue 25)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapter_world import A, B, send_document, wait_pending

from adapters.memory import MemoryAdapter
from adapters.runner import AdapterRunner
from gateway.config import AdapterConfig
from gateway.directory.principal import Principal
from gateway.hub import Hub


async def test_a_notice_is_taken_off_without_being_delivered(hub: Hub) -> None:
    """A month later B has not answered: A's notice is acked by A's adapter, not sent."""
    await send_document(hub)
    await wait_pending(hub, B)
    later = datetime.now(UTC) + timedelta(days=31)
    hub.escalation.clock = lambda: later
    told = await hub.escalation.run_once()
    assert {(n.level, n.unit) for n in told if n.unit == A} == {("received", A), ("completed", A)}
    notices = await wait_pending(hub, A, 2)
    assert [n["kind"] for n in notices] == ["notice", "notice"]
    adapter = MemoryAdapter(unit=A)
    runner = AdapterRunner(
        hub, [AdapterConfig("memory", A, {"wait": 0})], factory=lambda _: adapter
    )
    runner.build()
    await runner.run_outbound(runner.slots[0])
    assert adapter.delivered == {}
    assert await hub.mailbox(Principal(unit=A), wait=0, limit=10) == []
