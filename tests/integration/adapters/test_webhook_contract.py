"""The webhook adapter passes the adapter contract against a stand-in receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from adapter_world import B
from contract import AdapterContract
from standin_receiver import SECRET, StandInReceiver, stand_in_receiver

from adapters.base import Adapter
from adapters.webhook import WebhookAdapter


class TestWebhookAdapter(AdapterContract):
    """Contract for :class:`WebhookAdapter`."""

    name = "webhook"
    receiver: StandInReceiver

    @pytest.fixture(autouse=True)
    async def _receiver(self) -> AsyncIterator[None]:
        async with stand_in_receiver() as receiver:
            self.receiver = receiver
            yield

    async def make(self, tmp_path: Path) -> Adapter:
        return WebhookAdapter(
            unit=B, options={"url": self.receiver.url, "secret": SECRET, "timeout": 5}
        )

    async def effects(self, adapter: Adapter) -> int:
        assert self.receiver.bad_signatures == 0
        return len(self.receiver.accepted)

    async def fail_recoverably(self, adapter: Adapter, times: int) -> None:
        self.receiver.fail_with = [500, 503][:times] + [500] * max(0, times - 2)

    async def fail_permanently(self, adapter: Adapter) -> None:
        self.receiver.fail_with = [422]
