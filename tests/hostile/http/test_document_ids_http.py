"""Message ids derived from edXML DocumentIds, over HTTP against a running hub: a unit can
submit only DocumentIds that name it as their issuer, so no unit can take (and so block)
the id of another unit's document, through the axis API or a signed envelope (issue 21,
item 4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from gateway.edxml.ids import document_uuid
from gateway.envelope.seal import seal_envelope
from gateway.hub import UploadedFile
from gateway.pipeline.document import build_envelope
from tests.standins.office import OfficeError
from tests.support.axis_world import A, AxisWorld, B, C


def next_id_of(unit: str, number: str) -> str:
    """The DocumentId ``unit``'s office will give its next document (predictable)."""
    return f"{unit},{datetime.now(UTC):%Y/%m/%d},{number}/VP"


async def submit_with_id(world: AxisWorld, office: str, document_id: str) -> dict[str, Any]:
    """``office`` sends a document to C carrying ``document_id``; the axis answer."""
    sender = world.offices[office]
    sender.new_document_id = lambda number: document_id  # type: ignore[method-assign]
    _, answer = await sender.send_document([C], "Công văn", [], number="7")
    return answer


async def assert_owner_can_still_send(world: AxisWorld, document_id: str) -> None:
    """B's own document with ``document_id`` is created, with the id derived from it."""
    answer = await submit_with_id(world, B, document_id)
    assert answer["created"] is True and answer["docId"] == str(document_uuid(document_id))
    assert (await world.hub.messages.get(str(answer["docId"]))).sender == B


@pytest.mark.parametrize(
    "taken",
    [lambda: next_id_of(B, "7"), lambda: str(document_uuid(next_id_of(B, "7")))],
    ids=["B-named-DocumentId", "name-based-uuid-DocumentId"],
)
async def test_a_unit_cannot_take_another_units_document_id_over_axis(
    axis_world: AxisWorld, taken: Any
) -> None:
    """A's office sending B's next DocumentId (or the UUID derived from it) gets 422
    edxml.bad_document_id; B's real document with that DocumentId is then accepted."""
    stolen = next_id_of(B, "7")
    with pytest.raises(OfficeError) as refused:
        await submit_with_id(axis_world, A, taken())
    assert (refused.value.status, refused.value.code) == (422, "edxml.bad_document_id")
    await assert_owner_can_still_send(axis_world, stolen)


async def test_a_signed_envelope_cannot_take_a_derived_message_id(axis_world: AxisWorld) -> None:
    """A's signed envelope whose message id is the one B's next DocumentId derives to gets
    422 envelope.bad_message_id; B's real document is then accepted with that id."""
    hub, stolen = axis_world.hub, next_id_of(B, "7")
    ref = await hub.blobs.put_bytes(b"phu luc")
    files = [UploadedFile("phu-luc.txt", "text/plain", ref.sha256, ref.size)]
    env = build_envelope(A, {"to": [C], "subject": "Chiếm id"}, files, is_group=lambda _: False)
    key, cert = await hub.signers.for_document(A)
    xml = seal_envelope(replace(env, message_id=document_uuid(stolen)), key, cert)
    token = await hub.directory.create_token(unit=A)
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{axis_world.url}/api/v1/messages",
            data=xml,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
        ) as resp,
    ):
        body = await resp.json()
        assert (resp.status, body["error"]["code"]) == (422, "envelope.bad_message_id"), body
    await assert_owner_can_still_send(axis_world, stolen)
