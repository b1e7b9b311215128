"""The upstream adapter (federation) passes the adapter contract against a stand-in
upstream axis over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from adapter_world import B
from contract import AdapterContract

from adapters.base import Adapter
from adapters.upstream import UpstreamAdapter
from tests.standins.upstream_axis import SECRET, SYSTEM_ID, StandInUpstream, stand_in_upstream


class TestUpstreamAdapter(AdapterContract):
    """Contract for :class:`UpstreamAdapter` (the ``axis`` protocol)."""

    name = "upstream"
    upstream: StandInUpstream

    @pytest.fixture(autouse=True)
    async def _upstream(self) -> AsyncIterator[None]:
        async with stand_in_upstream() as upstream:
            self.upstream = upstream
            yield

    async def make(self, tmp_path: Path) -> Adapter:
        secret = tmp_path / "upstream.secret"
        secret.write_text(SECRET, encoding="utf-8")
        secret.chmod(0o600)
        options = {"url": self.upstream.url, "system_id": SYSTEM_ID, "secret_file": str(secret)}
        return UpstreamAdapter(unit=B, options={**options, "timeout": 5})

    async def effects(self, adapter: Adapter) -> int:
        assert self.upstream.bad_signatures == 0
        return len(self.upstream.documents)

    async def fail_recoverably(self, adapter: Adapter, times: int) -> None:
        self.upstream.fail_with = [503] * times

    async def fail_permanently(self, adapter: Adapter) -> None:
        self.upstream.fail_with = [422]
