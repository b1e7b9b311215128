"""edXML ⇄ envelope/receipt: every sample comes back equivalent, nothing is lost."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest
from edxml_samples import DOCUMENTS, FIXTURES, STATUSES, MemoryBlobs, sample_id
from lxml import etree

from gateway.edxml import (
    EMPTY_DIGEST,
    differences,
    edxml_status_to_receipt,
    edxml_to_envelope,
    envelope_to_edxml,
    equivalent,
    read_document,
    read_status,
    receipt_to_edxml_status,
    write_document,
    write_status,
)
from gateway.edxml.ids import document_uuid
from gateway.envelope import codec
from gateway.envelope.model import ENVELOPE_NS, Kind, Status
from gateway.errors import EdxmlError, EnvelopeError

RESOURCES = FIXTURES / "truclienthong-example" / "resources"


@pytest.mark.parametrize("path", DOCUMENTS, ids=sample_id)
def test_document_round_trip(path: Path, blobs: MemoryBlobs) -> None:
    """edXML → Envelope → (codec XML and back) → edXML is equivalent to the original."""
    data = path.read_bytes()
    env = edxml_to_envelope(read_document(data), blobs.store)
    env = codec.envelope_from_element(codec.envelope_to_element(env))
    back = write_document(envelope_to_edxml(env, blobs.load))
    assert equivalent(data, back), differences(data, back)


@pytest.mark.parametrize("path", STATUSES, ids=sample_id)
def test_status_round_trip(path: Path) -> None:
    """edXML status → Receipt → (codec XML and back) → edXML status is equivalent."""
    data = path.read_bytes()
    receipt = edxml_status_to_receipt(read_status(data))
    receipt = codec.receipt_from_element(codec.receipt_to_element(receipt))
    back = write_status(receipt_to_edxml_status(receipt))
    assert equivalent(data, back), differences(data, back)


def test_envelope_slots(blobs: MemoryBlobs) -> None:
    """Slots are filled: parties, kind, refers_to, metadata; attachments stored by digest."""
    doc = read_document((RESOURCES / "edoc_replacement.edxml").read_bytes())
    env = edxml_to_envelope(doc, blobs.store)
    assert env.sender == "000.00.00.G22" and env.recipients[-1] == "000.00.00.G17"
    assert env.kind is Kind.REPLACE
    assert env.refers_to == document_uuid("000.00.00.G22,2014/01/30,7806/VPCP-TTĐT")
    assert (env.document.number, env.document.notation, env.document.page_count) == (
        "7816",
        "VPCP-TTĐT",
        22,
    )
    att = env.attachments[0]
    stored = blobs.data[att.sha256]
    assert stored == doc.attachments[0].data and hashlib.sha256(stored).hexdigest() == att.sha256
    assert att.size == len(stored) and att.media_type == "application/zip"


def test_extensions_hold_what_has_no_slot(blobs: MemoryBlobs) -> None:
    """Extensions is one <Extensions> in our namespace with edXML fragments, no file bytes."""
    env = edxml_to_envelope(
        read_document((RESOURCES / "edoc_replacement.edxml").read_bytes()), blobs.store
    )
    root = etree.fromstring(env.extensions)
    assert root.tag == f"{{{ENVELOPE_NS}}}Extensions"
    text = env.extensions.decode()
    for field in (
        "OrganName",
        "ToPlaces",
        "SteeringType",
        "StaffInfo",
        "ReplacementInfo",
        "Signature",
        "cid:209",
    ):
        assert field in text, field
    assert "UEsDB" not in text and "<edXML:Subject>" not in text


def test_ids_deterministic(blobs: MemoryBlobs) -> None:
    """A DocumentId maps to the same UUIDv5 every time; a UUID DocumentId is kept; kinds differ."""
    assert document_uuid("abc") == document_uuid("abc") != document_uuid("abd")
    same = "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"
    assert document_uuid(same) == uuid.UUID(same)
    new = edxml_to_envelope(read_document((RESOURCES / "edoc_new.edxml").read_bytes()), blobs.store)
    revoke = edxml_to_envelope(
        read_document((RESOURCES / "edoc_revocation.edxml").read_bytes()), blobs.store
    )
    assert new.message_id == document_uuid("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
    assert revoke.message_id != new.message_id and revoke.refers_to == new.message_id


def test_bad_unit_code_refused(blobs: MemoryBlobs) -> None:
    """A From/OrganId outside the unit code pattern is edxml.bad_unit_code."""
    data = (RESOURCES / "edoc_new.edxml").read_bytes().replace(b"000.00.00.A80", b"abc#*", 1)
    with pytest.raises(EdxmlError) as info:
        edxml_to_envelope(read_document(data), blobs.store)
    assert info.value.code == "edxml.bad_unit_code"


def test_changed_attachment_refused(blobs: MemoryBlobs) -> None:
    """Exporting with bytes that do not match the manifest digest is refused."""
    env = edxml_to_envelope(read_document((RESOURCES / "edoc_new.edxml").read_bytes()), blobs.store)
    with pytest.raises(EnvelopeError) as info:
        envelope_to_edxml(env, lambda att: b"tampered")
    assert info.value.code == "envelope.attachment_mismatch"


def test_equivalence_detects_changes() -> None:
    """The equivalence check notices a changed value and a changed attachment byte."""
    data = (RESOURCES / "edoc_new.edxml").read_bytes()
    assert not equivalent(data, data.replace(b"74fass22", b"74fass23"))
    doc = read_document(data)
    other = doc.attachments[0].__class__(b"x" + doc.attachments[0].data[1:])
    from dataclasses import replace

    changed = write_document(
        replace(doc, attachments=(replace(doc.attachments[0], data=other.data),))
    )
    assert not equivalent(data, changed)
    assert any("ContentTransferEncoded" in line for line in differences(data, changed))


def test_receipt_fields() -> None:
    """A status maps to a receipt: status, parties (13 from the sender), placeholder digest."""
    receipt = edxml_status_to_receipt(
        read_status((RESOURCES / "status_cancellation_13.edxml").read_bytes())
    )
    assert receipt.status is Status.RECALL_REQUESTED
    assert (receipt.issuer, receipt.recipient) == ("000.00.00.G22", "000.00.00.H41")
    assert receipt.envelope_digest == EMPTY_DIGEST
    assert receipt.message_id == document_uuid("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
    accepted = edxml_status_to_receipt(
        read_status((RESOURCES / "status_acceptance_03.edxml").read_bytes()),
        envelope_digest="ab" * 32,
    )
    assert accepted.status is Status.ACCEPTED and accepted.recipient == "000.00.00.H41"
    assert accepted.envelope_digest == "ab" * 32


def test_hub_only_status_unsupported() -> None:
    """A hub-only status (expired) has no edXML code: edxml.unsupported."""
    from dataclasses import replace

    receipt = edxml_status_to_receipt(
        read_status((RESOURCES / "status_inbox_01.edxml").read_bytes())
    )
    with pytest.raises(EdxmlError) as info:
        receipt_to_edxml_status(replace(receipt, status=Status.EXPIRED))
    assert info.value.code == "edxml.unsupported"


def test_native_envelope_exports(blobs: MemoryBlobs) -> None:
    """An envelope without edXML extensions still exports a readable edXML document."""
    from dataclasses import replace

    env = edxml_to_envelope(read_document((RESOURCES / "edoc_new.edxml").read_bytes()), blobs.store)
    doc = envelope_to_edxml(replace(env, extensions=None), blobs.load)
    again = read_document(write_document(doc))
    assert again.document_id == str(env.message_id) and again.subject == env.document.subject
    assert again.attachments[0].data == blobs.load(env.attachments[0])
    assert edxml_to_envelope(again, blobs.store).message_id == env.message_id
