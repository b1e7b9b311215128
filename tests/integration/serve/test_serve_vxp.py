"""``lienthong serve`` mounts /vxp for the axis registrations: the SDK stand-in is served."""

from __future__ import annotations

from tests.standins.vxp_sdk import AgencyService, KnobstickService
from tests.support.served_hub import AXIS_SYSTEM, A, P, RunningHub


async def test_vxp_is_served_for_the_axis_registration(running_hub: RunningHub) -> None:
    """The registered system counts and lists the directory; a wrong secret is refused."""
    endpoint = f"{running_hub.url}/vxp"
    knobstick = KnobstickService(endpoint, AXIS_SYSTEM, running_hub.secret)
    agency = AgencyService(endpoint, AXIS_SYSTEM, running_hub.secret)
    wrong = KnobstickService(endpoint, AXIS_SYSTEM, "w" * 43)
    try:
        count = await knobstick.count_receive_edoc('{"messagetype": "edoc"}')
        assert (count.http_status, count.status, count.error_code) == (200, "OK", "0")
        listed = await agency.get_agencies_list("{}")
        assert listed.ok and {P, A} <= {a["code"] for a in listed.data}
        refused = await wrong.get_received_edoc_list("{}")
        assert (refused.http_status, refused.status) == (401, "FAIL")
        assert refused.error_desc.startswith("vxp.bad_signature: ")
    finally:
        for service in (knobstick, agency, wrong):
            await service.close()
