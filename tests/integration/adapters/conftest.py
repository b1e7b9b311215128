"""A real hub (SQLite + local bus in tmp_path) with a province and two districts.

District A sends; district B is the unit behind the adapter under test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from adapter_world import PROV, A, B

from gateway.config import load_config
from gateway.hub import Hub


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    """A started hub on SQLite and the local bus, with PROV, A and B in its directory."""
    h = Hub(load_config(home=tmp_path / "home", env={}))
    await h.start()
    await h.directory.add(PROV, "Văn phòng tỉnh")
    await h.directory.add(A, "Huyện A", PROV)
    await h.directory.add(B, "Huyện B", PROV)
    await h.consumers.sync()  # mailboxes for the new units now, not at the next sync tick
    try:
        yield h
    finally:
        await h.stop()
