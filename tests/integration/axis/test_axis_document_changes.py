"""Revoke and update from office systems over the axis API, on both backends (issue 25)."""

from __future__ import annotations

import asyncio

from gateway.edxml.ids import document_uuid
from tests.standins.office import OfficeError, Received
from tests.support.axis_world import A, AxisWorld, B


def _doc_type(item: Received) -> str:
    marker = b"<edXML:BussinessDocType>"
    start = item.raw.index(marker) + len(marker)
    return item.raw[start : item.raw.index(b"<", start)].decode().strip()


async def _queued(world: AxisWorld, document_id: str, unit: str) -> None:
    """Wait until the hub put the document into ``unit``'s mailbox (without listing it:
    an axis listing is a fetch)."""
    message_id = str(document_uuid(document_id))
    for _ in range(100):
        status = await world.hub.messages.status(message_id)
        if any(r.unit == unit and r.state == "queued" for r in status.recipients):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{document_id} never queued for {unit}")


async def test_revoke_before_fetch_and_its_answer(axis_world: AxisWorld) -> None:
    """B never gets a document revoked before it fetched it, only the revocation (type 1);
    B's 15 answers it and reaches A; a later 03 on the original is receipt.document_revoked."""
    office_a, office_b = axis_world.offices[A], axis_world.offices[B]
    doc_id, _ = await office_a.send_document([B], "Văn bản ban hành nhầm", [], number="30")
    await _queued(axis_world, doc_id, B)
    _, answer = await office_a.send_document(
        [B], "Thu hồi văn bản", [], number="30", doc_type="1", document_id=doc_id
    )
    assert answer["created"] is True
    got = await office_b.receive_until(lambda inbox: any(i.messagetype == "edoc" for i in inbox))
    documents = [i for i in got if i.messagetype == "edoc"]
    assert [(d.document_id, _doc_type(d)) for d in documents] == [(doc_id, "1")]
    await office_b.send_status(doc_id, "15", about=A, description="Đồng ý thu hồi")
    await office_a.receive_until(
        lambda inbox: any(i.status_code == "15" and i.document_id == doc_id for i in inbox)
    )
    try:
        await office_b.send_status(doc_id, "03", about=A)
    except OfficeError as exc:
        assert exc.status == 409 and exc.code == "receipt.document_revoked"
    else:
        raise AssertionError("a status on a revoked document was accepted")


async def test_update_of_another_units_document_is_bad_reference(axis_world: AxisWorld) -> None:
    """An update naming a DocumentId A never sent is refused: 422 request.bad_reference."""
    office_a = axis_world.offices[A]
    foreign = f"{A},2026/01/05,99/xyz"
    try:
        await office_a.send_document([B], "Cập nhật", [], doc_type="2", document_id=foreign)
    except OfficeError as exc:
        assert exc.status == 422 and exc.code == "request.bad_reference"
    else:
        raise AssertionError("an update of an unknown document was accepted")


async def test_done_on_a_document_revoked_after_listing_takes_it_off(
    axis_world: AxisWorld,
) -> None:
    """B listed (fetched) the document, then A revoked it: B's "done" takes it off B's
    list without a status, B gets the revocation, and nothing stays pending."""
    office_a, office_b = axis_world.offices[A], axis_world.offices[B]
    doc_id, _ = await office_a.send_document([B], "Văn bản", [], number="31")
    await _queued(axis_world, doc_id, B)
    listed = await office_b.pending("edoc")
    assert len(listed) == 1
    await office_a.send_document([B], "Thu hồi", [], number="31", doc_type="1", document_id=doc_id)
    got = await office_b.receive_until(
        lambda inbox: any(i.messagetype == "edoc" and _doc_type(i) == "1" for i in inbox)
    )
    assert {_doc_type(i) for i in got if i.messagetype == "edoc"} == {"0", "1"}
    assert await office_b.pending("edoc") == []
