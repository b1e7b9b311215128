"""The axis adapter passes the basic adapter contract; it pushes nothing (its office
system pulls over ``/axis/v1``), so the runner starts no loop for it and a send is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from adapter_world import B
from contract import AdapterBasics

from adapters.axis.adapter import AxisAdapter
from adapters.base import Adapter, AdapterError, OutboundItem
from adapters.runner import AdapterRunner
from gateway.config import AdapterConfig
from gateway.hub import Hub
from tests.support.axis_world import secret_file


class TestAxisAdapter(AdapterBasics):
    """Contract for :class:`AxisAdapter`."""

    name = "axis"

    async def make(self, tmp_path: Path) -> Adapter:
        path, _ = secret_file(tmp_path, "office-b")
        return AxisAdapter(unit=B, options={"system_id": "office-b", "secret_file": str(path)})

    async def test_runner_starts_no_loop(self, hub: Hub, tmp_path: Path) -> None:
        """Served, not pushed: the runner starts neither an outbound nor an inbound loop,
        so the unit's items stay on its pending list for the office system."""
        adapter = await self.make(tmp_path)
        runner = AdapterRunner(hub, [AdapterConfig(self.name, B, {})], factory=lambda _: adapter)
        await runner.start()
        try:
            assert [slot.tasks for slot in runner.slots] == [[]]
        finally:
            await runner.stop()

    async def test_send_is_refused(self, tmp_path: Path) -> None:
        """A send (which the runner never makes) is refused, not silently dropped."""
        adapter = await self.make(tmp_path)
        item = OutboundItem(
            item_id="1",
            kind="document",
            message_id="m",
            ref="document:m",
            unit=B,
            sender=B,
            subject="",
            body=b"",
            content_type="application/xml",
        )
        with pytest.raises(AdapterError) as refused:
            await adapter.send(item)
        assert refused.value.code == "adapter.rejected"
        await adapter.aclose()
