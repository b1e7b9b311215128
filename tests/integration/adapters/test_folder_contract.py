"""The folder adapter passes the adapter contract (failures injected through its hook)."""

from __future__ import annotations

from pathlib import Path

from adapter_world import B
from contract import AdapterContract

from adapters.base import Adapter, AdapterError
from adapters.folder import FolderAdapter


def documents_in(out: Path) -> int:
    """Envelope files a legacy system would pick up from ``out/``."""
    return len([p for p in out.glob("*.xml") if not p.name.startswith(".")])


class TestFolderAdapter(AdapterContract):
    """Contract for :class:`FolderAdapter`."""

    name = "folder"

    async def make(self, tmp_path: Path) -> Adapter:
        return FolderAdapter(unit=B, options={"path": str(tmp_path / "drop"), "settle_ms": 0})

    async def effects(self, adapter: Adapter) -> int:
        assert isinstance(adapter, FolderAdapter)
        return documents_in(adapter.outbox)

    async def fail_recoverably(self, adapter: Adapter, times: int) -> None:
        assert isinstance(adapter, FolderAdapter)
        left = [times]

        def disk_error(step: str) -> None:
            if step == "send.files" and left[0] > 0:
                left[0] -= 1
                raise OSError(28, "No space left on device")

        adapter.hook = disk_error

    async def fail_permanently(self, adapter: Adapter) -> None:
        assert isinstance(adapter, FolderAdapter)

        def refuse(step: str) -> None:
            if step == "send.files":
                raise AdapterError("the legacy system refuses this document")

        adapter.hook = refuse
