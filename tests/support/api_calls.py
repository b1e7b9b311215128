"""Small JSON calls on a test world's API as one of its callers."""

from __future__ import annotations

from typing import Any

from tests.support.api_world import World

__all__ = ["post", "status_of"]


async def post(world: World, who: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    """``POST path`` with a JSON body as ``who``: the status and the JSON answer."""
    resp = await world.client.post(path, json=body, headers=world.auth(who))
    return resp.status, await resp.json()


async def status_of(world: World, who: str, message_id: str) -> dict[str, Any]:
    """The status JSON of ``message_id`` as ``who`` sees it (must be 200)."""
    resp = await world.client.get(f"/api/v1/messages/{message_id}/status", headers=world.auth(who))
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body
