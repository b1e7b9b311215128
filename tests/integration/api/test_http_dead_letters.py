"""Dead letters for operators over HTTP and from `lienthong dead-letters` (discard asks)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.store.models import AuditRow
from tests.support.api_world import A, World

pytestmark = pytest.mark.integration

LIENTHONG = str(Path(sys.executable).with_name("lienthong"))


async def _cli(world: World, *args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")},
        "LIENTHONG_URL": str(world.client.make_url("/")),
        "LIENTHONG_TOKEN": world.tokens["operator"],
    }
    proc = await asyncio.create_subprocess_exec(
        LIENTHONG, "dead-letters", *args, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def _poison(world: World) -> None:
    """A message no handler can take, dead-lettered at once."""
    body = json.dumps({"kind": "document", "message_id": "not-a-uuid"}).encode()
    await world.hub.bus.publish("documents", A, body, message_id="poison-1")
    for _ in range(200):
        if await world.hub.bus.dead_letter_count():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the poison message was never dead-lettered")


async def test_operators_list_and_discard_after_confirming(world: World) -> None:
    """The list gives why in words; discard asks, keeps it on "no", drops it on "yes"."""
    await _poison(world)
    resp = await world.client.get("/api/v1/dead-letters", headers=world.auth(A))
    assert resp.status == 403
    resp = await world.client.get("/api/v1/dead-letters", headers=world.auth("operator"))
    [item] = (await resp.json())["items"]
    assert item["id"] == "poison-1" and item["unit"] == A and item["reason"] == "rejected"
    code, out, err = await _cli(world, "list")
    assert code == 0, err
    assert out.startswith(f"poison-1\t{A}\tnot-a-uuid\tRefused when it was handled: No such")
    code, out, err = await _cli(world, "discard", "poison-1", stdin=b"n\n")
    assert code == 1 and "Discard it for good?" in out and "aborted" in err
    assert await world.hub.bus.dead_letter_count() == 1
    code, _, err = await _cli(world, "discard", "poison-1", stdin=b"y\n")
    assert code == 0 and "discarded poison-1" in err
    assert await world.hub.bus.dead_letter_count() == 0
    code, _, err = await _cli(world, "retry", "poison-1")
    assert code != 0 and err.startswith("dead_letter.not_found: ")


async def test_discard_yes_skips_the_question(world: World) -> None:
    """--yes discards at once, audited with the operator's name; a second time is 404."""
    await _poison(world)
    code, out, err = await _cli(world, "discard", "poison-1", "--yes")
    assert code == 0 and out == "" and "discarded poison-1" in err
    resp = await world.client.post(
        "/api/v1/dead-letters/poison-1/discard", headers=world.auth("operator")
    )
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "dead_letter.not_found"
    async with world.hub.db.read() as session:
        query = select(AuditRow.actor).where(AuditRow.action == "dead_letter.discard")
        assert list((await session.execute(query)).scalars()) == ["operator:ops"]
