"""edXML carries a document's kind, its reference and its urgency (issue 25)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from edxml_samples import DOCUMENTS, FIXTURES, MemoryBlobs, sample_id

from gateway.edxml import edxml_to_envelope, envelope_to_edxml, read_document, write_document
from gateway.edxml.ids import document_uuid
from gateway.envelope.model import Kind
from gateway.urgency import Urgency, parse_urgency

RESOURCES = FIXTURES / "truclienthong-example" / "resources"
KINDS = {
    "edoc_new": Kind.NEW,
    "edoc_revocation": Kind.REVOKE,
    "edoc_update": Kind.UPDATE,
    "edoc_replacement": Kind.REPLACE,
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_business_doc_type_is_the_kind_and_refers_to_the_original(
    name: str, blobs: MemoryBlobs
) -> None:
    """BussinessDocType 0-3 becomes the kind; 1-3 refer to the document they change, and
    the edXML written back says the same type for the same DocumentId."""
    env = edxml_to_envelope(read_document((RESOURCES / f"{name}.edxml").read_bytes()), blobs.store)
    assert env.kind is KINDS[name]
    if env.kind is Kind.NEW:
        assert env.refers_to is None
    else:
        assert env.refers_to is not None and env.refers_to != env.message_id
    again = read_document(write_document(envelope_to_edxml(env, blobs.load)))
    assert again.business is not None
    assert again.business.doc_type == str(list(KINDS.values()).index(KINDS[name]))
    if env.kind is Kind.REVOKE:
        assert document_uuid(again.document_id or "") == env.refers_to


@pytest.mark.parametrize("path", DOCUMENTS, ids=sample_id)
def test_every_sample_priority_is_a_valid_urgency(path: Path, blobs: MemoryBlobs) -> None:
    """The samples' Priority (0) is a valid urgency code: thường."""
    env = edxml_to_envelope(read_document(path.read_bytes()), blobs.store)
    assert parse_urgency(env.document.urgency) in (Urgency.NORMAL, Urgency.KHAN)


def test_urgency_goes_out_as_the_priority_code(blobs: MemoryBlobs) -> None:
    """An envelope marked hỏa tốc (3) is written with Priority 3."""
    env = edxml_to_envelope(read_document((RESOURCES / "edoc_new.edxml").read_bytes()), blobs.store)
    flash = replace(env, document=replace(env.document, urgency="3"), extensions=None)
    again = read_document(write_document(envelope_to_edxml(flash, blobs.load)))
    assert again.other_info is not None and again.other_info.priority == "3"
