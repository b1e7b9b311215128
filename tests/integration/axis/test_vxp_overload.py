"""Admission control on ``/vxp`` (issue 27 item 3): past ``[hub] max_backlog`` the SDK's
``sendEdoc`` is refused with 503 in the SDK's answer shape, ``hub.overloaded`` leading
ErrorDesc, and nothing is stored for it."""

from __future__ import annotations

from pathlib import Path

from gateway.directory.principal import Principal
from tests.support.axis_world import A, B
from tests.support.vxp_world import edoc, refused, vxp_world


async def test_send_edoc_past_the_bound_is_503_hub_overloaded(
    tmp_home: Path, tmp_path: Path, sqlite_url: str
) -> None:
    """A bound of one delivery on its way: the first document is accepted, the second
    (to the same recipient, not yet fetched) is 503 hub.overloaded; only the first is
    stored."""
    async with vxp_world(
        tmp_home, tmp_path, sqlite_url, max_backlog=1, max_inflight_submissions=0
    ) as world:
        sdk = world.sdk("office-a")
        try:
            first = await sdk.send_edoc("{}", edoc(tmp_path, sender=A, to=(B,)))
            assert first.ok, first
            second = await sdk.send_edoc("{}", edoc(tmp_path, sender=A, to=(B,), pad=10))
            refused(second, 503, "hub.overloaded")
        finally:
            await sdk.close()
        page = await world.hub.search(Principal(operator="test"), limit=10)
        assert [m["id"] for m in page["items"]] == [str(first.data)]
