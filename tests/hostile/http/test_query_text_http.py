"""Free-text query parameters are checked before they reach the database, on both stacks.

PostgreSQL refuses a NUL in text; the units summary's ``unit`` went to it unchecked and a
NUL answered 500 there (found by the OpenAPI fuzz on PostgreSQL). Each text parameter goes
through ``gateway.api.params.text_param`` (``gateway.untrusted.clean_text``).
"""

from __future__ import annotations

import pytest

from tests.support.api_world import World


@pytest.mark.parametrize("value", ["%00", "a%1Fb", "%EF%BF%BF"])
async def test_units_summary_unit_with_a_control_character_is_400(world: World, value: str) -> None:
    """GET /api/v1/units/summary?unit=<NUL, C0 or U+FFFF> is 400 request.bad_text."""
    resp = await world.client.get(
        f"/api/v1/units/summary?unit={value}", headers=world.auth("operator")
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "request.bad_text"


async def test_units_summary_unit_plain_code_still_answers(world: World) -> None:
    """A unit code in ?unit= still gives that unit's counters."""
    resp = await world.client.get(
        "/api/v1/units/summary?unit=000.00.01.H01", headers=world.auth("operator")
    )
    assert resp.status == 200
    assert [item["unit"] for item in (await resp.json())["items"]] == ["000.00.01.H01"]
