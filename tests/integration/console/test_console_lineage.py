"""The console's unit tree shows lineage: a retired or merged unit, its successor and
the instant, in the reader's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.directory import changes
from gateway.directory.lineage import parse_at
from tests.support.console_client import login
from tests.support.seeded_hub import DISTRICTS, SeededHub, seeded_hub


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        yield running


async def test_unit_tree_shows_the_successor_of_a_merged_unit(live: SeededHub) -> None:
    """After a merge through the hub's directory the tree says into which unit and when."""
    gone, survivor = DISTRICTS[0], DISTRICTS[1]
    at = parse_at("2030-07-01T00:00+07:00")
    await live.hub.directory.change(
        lambda s, actor: changes.merge(s, [gone], survivor, at, actor=actor)
    )
    client, _ = await login(live)
    async with client:
        async with client.get(f"{live.url}/console/units") as r:
            page = await r.text()
        async with client.get(f"{live.url}/console/units?lang=en") as r:
            english = await r.text()
    assert "Chuyển giao cho" in page and f'<span class="code">{survivor}</span>' in page
    assert "Retired into" in english and "Chuyển giao cho" not in english
