"""Office systems on the hub's /vxp through the VXP SDK stand-in: one SDK service per
district (the ``sdks`` fixture), the SDK's JSON headers, polling until an answer, and the
office loop that lists, gets and confirms what arrived."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.standins.office import parse_received
from tests.standins.vxp_sdk import KnobstickService, SdkResult
from tests.support.axis_world import A, AxisWorld, B, C

__all__ = ["SYSTEMS", "eventually", "receive_all", "sdks", "vxp_headers"]

#: The office system id of each district.
SYSTEMS = {A: "office-a", B: "office-b", C: "office-c"}


@pytest.fixture
async def sdks(axis_world: AxisWorld) -> AsyncIterator[dict[str, KnobstickService]]:
    """One SDK KnobstickService per district, pointed at ``<hub>/vxp``."""
    services = {
        unit: KnobstickService(f"{axis_world.url}/vxp", system, axis_world.secrets[unit])
        for unit, system in SYSTEMS.items()
    }
    try:
        yield services
    finally:
        for service in services.values():
            await service.close()


def vxp_headers(**values: Any) -> str:
    """The SDK's header argument: the values as JSON."""
    return json.dumps(values)


async def eventually(
    probe: Callable[[], Awaitable[SdkResult]], done: Callable[[SdkResult], bool]
) -> SdkResult:
    """``probe`` again until ``done`` holds for its answer (15 s at most)."""
    for _ in range(150):
        result = await probe()
        if done(result):
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"never reached: last answer {result.answer}")


async def receive_all(sdk: KnobstickService, kind: str, count: int) -> list[Any]:
    """List (until ``count`` rows), get each, parse it, confirm done: the SDK office loop."""
    listing = await eventually(
        lambda: sdk.get_received_edoc_list(vxp_headers(servicetype="eDoc", messagetype=kind)),
        lambda r: r.ok and len(r.data) >= count,
    )
    got = []
    for row in listing.data:
        edoc = await sdk.get_edoc(vxp_headers(filePath="xml", docId=row["docId"]))
        assert edoc.status == "OK" and edoc.ok, edoc.answer
        got.append(parse_received(row["docId"], row["messageType"], edoc.data))
        done = await sdk.update_status(vxp_headers(status="done", docId=row["docId"]))
        assert done.ok, done.answer
    return got
