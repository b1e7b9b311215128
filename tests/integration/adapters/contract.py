"""The contract every adapter passes, run against a real hub (subclass per adapter).

:class:`AdapterBasics` is for every adapter; :class:`AdapterContract` adds the delivery
tests of an adapter that sends. A subclass says how to build its adapter for unit B, how
to count the effects on the unit's side (``effects``: distinct documents the unit's system
received), and how to make the unit's system fail worth-a-retry (``fail_recoverably``) or
for good (``fail_permanently``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapter_world import B, delivery_state, send_document, wait_pending

from adapters.base import Adapter
from adapters.items import fetch_outbound
from adapters.runner import AdapterRunner
from gateway.config import AdapterConfig
from gateway.directory.principal import Principal
from gateway.hub import Hub

FAST = {"retry_base": 0.001, "retry_cap": 0.01, "retry_attempts": 4, "wait": 0}


class AdapterBasics:
    """What every adapter passes, also one that pushes nothing (``axis``: the office
    system pulls over the hub's HTTP API): it closes cleanly and reports its health."""

    name = "base"

    async def make(self, tmp_path: Path) -> Adapter:
        raise NotImplementedError

    async def test_aclose_is_idempotent(self, tmp_path: Path) -> None:
        """Closing twice is fine, and the async context manager closes too."""
        adapter = await self.make(tmp_path)
        async with adapter as entered:
            assert entered is adapter
        await adapter.aclose()
        assert adapter.closed

    async def test_health_reports(self, tmp_path: Path) -> None:
        """Healthy when usable, not healthy once closed."""
        adapter = await self.make(tmp_path)
        assert (await adapter.health()).ok
        await adapter.aclose()
        assert not (await adapter.health()).ok


class AdapterContract(AdapterBasics):
    """Shared tests of an adapter that sends; subclasses implement ``make`` and the three
    hooks below."""

    async def effects(self, adapter: Adapter) -> int:
        raise NotImplementedError

    async def fail_recoverably(self, adapter: Adapter, times: int) -> None:
        raise NotImplementedError

    async def fail_permanently(self, adapter: Adapter) -> None:
        raise NotImplementedError

    def runner(self, hub: Hub, adapter: Adapter, **options: Any) -> AdapterRunner:
        entry = AdapterConfig(name=self.name, unit=B, options={**FAST, **options})
        runner = AdapterRunner(hub, [entry], factory=lambda _: adapter)
        runner.build()
        return runner

    async def test_send_delivers_exactly_once(self, hub: Hub, tmp_path: Path) -> None:
        """A document in B's mailbox reaches B's system once and is acked after."""
        adapter = await self.make(tmp_path)
        await send_document(hub)
        await wait_pending(hub, B)
        runner = self.runner(hub, adapter)
        assert await runner.run_outbound(runner.slots[0]) == 1
        assert await self.effects(adapter) == 1
        assert await hub.mailbox(Principal(unit=B), wait=0, limit=10) == []
        await adapter.aclose()

    async def test_resend_is_idempotent(self, hub: Hub, tmp_path: Path) -> None:
        """Sending the same item again (a crash before the ack) has no second effect."""
        adapter = await self.make(tmp_path)
        await send_document(hub)
        entry = (await wait_pending(hub, B))[0]
        item = await fetch_outbound(hub, Principal(unit=B), entry)
        await adapter.send(item)
        again = await fetch_outbound(hub, Principal(unit=B), entry)
        await adapter.send(again)
        assert again.key == item.key
        assert await self.effects(adapter) == 1
        await adapter.aclose()

    async def test_recoverable_error_is_retried(self, hub: Hub, tmp_path: Path) -> None:
        """Two recoverable failures, then success: delivered once, acked."""
        adapter = await self.make(tmp_path)
        await send_document(hub)
        await wait_pending(hub, B)
        await self.fail_recoverably(adapter, 2)
        runner = self.runner(hub, adapter)
        await runner.run_outbound(runner.slots[0])
        assert await self.effects(adapter) == 1
        assert await hub.mailbox(Principal(unit=B), wait=0, limit=10) == []
        assert runner.slots[0].breaker.state == "closed"
        await adapter.aclose()

    async def test_non_recoverable_error_fails_the_item(self, hub: Hub, tmp_path: Path) -> None:
        """A refusal is not retried: recorded as failed, acked, nothing delivered."""
        adapter = await self.make(tmp_path)
        message_id = await send_document(hub)
        await wait_pending(hub, B)
        await self.fail_permanently(adapter)
        runner = self.runner(hub, adapter)
        await runner.run_outbound(runner.slots[0])
        slot = runner.slots[0]
        assert list(slot.failed) == [f"document:{message_id}"]
        assert await self.effects(adapter) == 0
        assert await hub.mailbox(Principal(unit=B), wait=0, limit=10) == []
        assert (await runner.health())[slot.label]["failed_items"] == 1
        assert await delivery_state(hub, message_id, B) in {"delivered", "failed"}
        await adapter.aclose()
