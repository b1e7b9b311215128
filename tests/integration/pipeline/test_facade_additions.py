"""The facade's adapter methods: own-id documents, hub-signed failures, receipt XML."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gateway.envelope.codec import receipt_from_element
from gateway.envelope.model import Attachment, DocumentMeta, Envelope
from gateway.envelope.verify import verify_receipt
from gateway.errors import ConflictError, EnvelopeError, ForbiddenError, NotFoundError
from gateway.hub import Hub, UploadedFile
from gateway.xmlsafe import parse_xml
from tests.support.pipeline_stack import (
    A1,
    OPERATOR,
    PROV,
    A,
    B,
    S,
    eventually,
    unit,
)

EXTENSIONS = (
    b'<Extensions xmlns="urn:lienthong:envelope:1">'
    b'<e:Note xmlns:e="urn:example:edxml-rest">edXML rest</e:Note></Extensions>'
)


async def _own_envelope(hub: Hub, sender: str = A, **changes: object) -> tuple[Envelope, list]:
    """An unsigned envelope as an edXML-mapping adapter makes it (old created time)."""
    ref = await hub.blobs.put_bytes(b"%PDF-1.4 phu luc")
    files = [UploadedFile("phu-luc.pdf", "application/pdf", ref.sha256, ref.size)]
    env = Envelope(
        message_id=uuid.uuid5(uuid.NAMESPACE_URL, f"edxml:{uuid.uuid4()}"),
        sender=sender,
        recipients=(B,),
        created=datetime.now(UTC) - timedelta(days=30),
        document=DocumentMeta(subject="Từ edXML", issued_place="Hà Nội", page_count=3),
        attachments=(Attachment("phu-luc.pdf", "application/pdf", ref.size, ref.sha256),),
        extensions=EXTENSIONS,
    )
    return replace(env, **changes), files  # type: ignore[arg-type]


async def _stored_envelope(hub: Hub, message_id: str) -> Envelope:
    from gateway.envelope.codec import envelope_from_element

    xml = await hub.envelope_xml(OPERATOR, message_id)
    return envelope_from_element(parse_xml(xml, max_bytes=10**7, max_depth=100))


async def test_own_envelope_keeps_its_id_and_extensions_and_resubmits_once(hub: Hub):
    """An adapter's envelope keeps id, extensions and metadata; resubmitting is created=False."""
    env, files = await _own_envelope(hub)
    first = await hub.submit_document(unit(A), {}, files, envelope=env)
    assert (first.message_id, first.created) == (str(env.message_id), True)
    again = await hub.submit_document(unit(A), {}, files, envelope=env)
    assert (again.message_id, again.created) == (str(env.message_id), False)
    stored = await _stored_envelope(hub, first.message_id)
    assert stored.extensions is not None and b"edXML rest" in stored.extensions
    assert stored.document.issued_place == "Hà Nội" and stored.document.page_count == 3
    assert stored.created > datetime.now(UTC) - timedelta(minutes=5)
    items = await eventually(lambda: hub.mailbox(unit(B), wait=0.2, limit=10))
    assert [i["message_id"] for i in items] == [first.message_id]


async def test_concurrent_resubmits_store_one_message(hub: Hub):
    """Two simultaneous submits of one own-id envelope: one created, one not, no error."""
    env, files = await _own_envelope(hub)
    results = await asyncio.gather(
        *(hub.submit_document(unit(A), {}, files, envelope=env) for _ in range(3))
    )
    assert sorted(r.created for r in results) == [False, False, True]


async def test_own_envelope_refusals(hub: Hub):
    """Another sender's id is a conflict; a foreign sender or unlisted files are refused."""
    env, files = await _own_envelope(hub)
    await hub.submit_document(unit(A), {}, files, envelope=env)
    stolen, _ = await _own_envelope(hub, sender=PROV, message_id=env.message_id)
    with pytest.raises(ConflictError) as info:
        await hub.submit_document(unit(PROV), {}, files, envelope=stolen)
    assert info.value.code == "message.duplicate_id"
    other, files = await _own_envelope(hub)
    with pytest.raises(EnvelopeError) as sender_info:
        await hub.submit_document(unit(PROV), {}, files, envelope=other)
    assert sender_info.value.code == "envelope.sender_mismatch"
    with pytest.raises(Exception) as files_info:
        await hub.submit_document(unit(A), {}, [], envelope=other)
    assert getattr(files_info.value, "code", None) == "request.invalid"


async def test_report_failure_records_one_hub_signed_failed_receipt(hub: Hub):
    """The recipient's adapter reports a failure: a 91 signed by the hub, once, to the sender."""
    env, files = await _own_envelope(hub)
    mid = (await hub.submit_document(unit(A), {}, files, envelope=env)).message_id
    await eventually(lambda: hub.mailbox(unit(B), wait=0.2, limit=10))
    with pytest.raises(ForbiddenError):
        await hub.report_failure(unit(A), mid, "the sender is no recipient")
    with pytest.raises(NotFoundError):
        await hub.report_failure(unit(S), mid, "a stranger")
    rid = await hub.report_failure(unit(B), mid, "the office system refused the file")
    assert await hub.report_failure(unit(B), mid, "again") == rid
    status = await hub.status(unit(A), mid)
    [delivery] = status["recipients"]
    assert delivery["state"] == "failed"
    assert [(r["status"], r["by"]) for r in delivery["receipts"]] == [("91", B)]
    assert await hub.mailbox(unit(B), wait=0, limit=10) == []
    verified = verify_receipt(await hub.receipt_xml(unit(A), rid), hub.trust())
    assert verified.signer_unit == hub.config.hub.unit_code
    assert verified.receipt.reason == "the office system refused the file"
    items = await eventually(lambda: hub.mailbox(unit(A), wait=0.2, limit=10))
    assert [(i["kind"], i["receipt_id"]) for i in items] == [("receipt", rid)]


async def test_receipt_xml_is_visible_to_the_parties_only(hub: Hub):
    """Sender, that delivery's recipient and operators read a receipt; others get not_found."""
    env, files = await _own_envelope(hub, recipients=(B, A1))
    mid = (await hub.submit_document(unit(A), {}, files, envelope=env)).message_id
    rid = await hub.post_receipt(unit(B), mid, status="03")
    for who in (unit(A), unit(B), OPERATOR):
        receipt = receipt_from_element(
            parse_xml(await hub.receipt_xml(who, rid), max_bytes=10**6, max_depth=50)
        )
        assert (str(receipt.receipt_id), receipt.status.code) == (rid, "03")
    for who, wanted in ((unit(A1), rid), (unit(S), rid), (unit(A), str(uuid.uuid4()))):
        with pytest.raises(NotFoundError) as info:
            await hub.receipt_xml(who, wanted)
        assert info.value.code == "receipt.not_found"
    with pytest.raises(NotFoundError):
        await hub.receipt_xml(unit(A), "not-a-uuid")
