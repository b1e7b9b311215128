"""A hub serving its API and the axis API on a loopback port, with stand-in office systems.

The world: a province office PROV with districts A, B and C, each running a stand-in
office system registered as an axis system (secret files in the test's tmp dir, mode 0600).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.standins.office import StandInOffice
from tests.support.axis_world import (
    PROV,
    A,
    AxisWorld,
    B,
    C,
    axis_entry,
    hub_config,
    secret_file,
    served_hub,
)


@pytest.fixture(params=["sqlite+local", "postgresql+rabbitmq"])
def backends(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(database url, bus url): embedded, then production-like."""
    if request.param == "sqlite+local":
        return request.getfixturevalue("sqlite_url"), "local://"
    return request.getfixturevalue("pg_url"), request.getfixturevalue("amqp_url")


@pytest.fixture
async def axis_world(
    tmp_home: Path, tmp_path: Path, backends: tuple[str, str]
) -> AsyncIterator[AxisWorld]:
    """A served hub with offices A, B, C connected over the axis API."""
    entries, keys = [], {}
    for unit, system in ((A, "office-a"), (B, "office-b"), (C, "office-c")):
        path, keys[unit] = secret_file(tmp_path, system)
        entries.append(axis_entry(unit, system, path))
    units = [(PROV, "Văn phòng tỉnh", None)] + [
        (code, f"Huyện {code[7]}", PROV) for code in (A, B, C)
    ]
    async with served_hub(hub_config(tmp_home, *backends, entries), units) as (hub, url):
        world = AxisWorld(hub, url, secrets=keys)
        for unit, system in ((A, "office-a"), (B, "office-b"), (C, "office-c")):
            world.offices[unit] = StandInOffice(
                url, system_id=system, secret=keys[unit], unit=unit, name=f"Huyện {unit[7]}"
            )
        try:
            yield world
        finally:
            for office in world.offices.values():
                await office.close()
