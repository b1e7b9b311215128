"""The memory adapter passes the adapter contract."""

from __future__ import annotations

from pathlib import Path

from adapter_world import B
from contract import AdapterContract

from adapters.base import Adapter, AdapterError
from adapters.memory import MemoryAdapter
from gateway.errors import AdapterUnavailable


class TestMemoryAdapter(AdapterContract):
    """Contract for :class:`MemoryAdapter`."""

    name = "memory"

    async def make(self, tmp_path: Path) -> Adapter:
        return MemoryAdapter(unit=B)

    async def effects(self, adapter: Adapter) -> int:
        assert isinstance(adapter, MemoryAdapter)
        return len(adapter.delivered)

    async def fail_recoverably(self, adapter: Adapter, times: int) -> None:
        assert isinstance(adapter, MemoryAdapter)
        adapter.fail_next(AdapterUnavailable("down"), times)

    async def fail_permanently(self, adapter: Adapter) -> None:
        assert isinstance(adapter, MemoryAdapter)
        adapter.fail_next(AdapterError("refused"), 1)
