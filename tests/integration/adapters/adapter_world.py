"""Helpers for the adapter tests: the world's unit codes and a few hub conveniences."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.directory.principal import Principal
from gateway.hub import Hub, UploadedFile

PROV, A, B = "000.00.00.H01", "000.00.01.H01", "000.00.02.H01"


async def send_document(
    hub: Hub, sender: str = A, to: str = B, data: bytes = b"%PDF-1.4 test", **meta: Any
) -> str:
    """Submit a document with one file through the facade; returns the message id."""
    ref = await hub.blobs.put_bytes(data)
    files = [UploadedFile("báo cáo.pdf", "application/pdf", ref.sha256, ref.size)]
    metadata = {"to": [to], "subject": meta.pop("subject", "Công văn thử"), **meta}
    result = await hub.submit_document(Principal(unit=sender), metadata, files)
    return str(result.message_id)


async def wait_pending(hub: Hub, unit: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait until ``unit`` has at least ``count`` pending items (the relay is async)."""
    items: list[dict[str, Any]] = []
    for _ in range(100):
        items = await hub.mailbox(Principal(unit=unit), wait=0.5, limit=100)
        if len(items) >= count:
            return items
        await asyncio.sleep(0.02)
    raise AssertionError(f"{unit} has {len(items)} pending items, wanted {count}")


async def delivery_state(hub: Hub, message_id: str, unit: str) -> str:
    """The state of ``unit``'s delivery of ``message_id``."""
    status = await hub.status(Principal(unit=unit), message_id)
    return str(next(r["state"] for r in status["recipients"] if r["unit"] == unit))
