"""Reading edXML: every field, any order, any prefix, and refusals with stable codes."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from edxml_samples import DOCUMENTS, FIXTURES, MALFORMED, STATUSES, sample_id
from lxml import etree

from gateway.edxml.model import EDXML_NS, EdxmlDocument, EdxmlStatus
from gateway.edxml.reader import read_document, read_message, read_status
from gateway.errors import EdxmlError, XmlError

RESOURCES = FIXTURES / "truclienthong-example" / "resources"
THREE_TO = FIXTURES / "truclienthong-example" / "xml" / "dc0bdef0-c7a3-4aaf-b717-777303442973.edxml"


def _shuffled(data: bytes, *, strip: bool, seed: int) -> bytes:
    """The message with siblings of different names shuffled (and prefixes/namespace gone)."""
    rng = random.Random(seed)
    root = etree.fromstring(data)

    def rebuild(el: etree._Element) -> etree._Element:
        qname = etree.QName(el)
        tag = qname.localname if strip and qname.namespace == EDXML_NS else el.tag
        copy = etree.Element(tag, dict(el.attrib))
        copy.text = el.text
        kids = [c for c in el if isinstance(c.tag, str)]
        # Same-named siblings (To, To, To) keep their relative order: it is data.
        slots = [etree.QName(c).localname for c in kids]
        rng.shuffle(slots)
        queues: dict[str, list[etree._Element]] = {}
        for kid in kids:
            queues.setdefault(etree.QName(kid).localname, []).append(kid)
        for name in slots:
            copy.append(rebuild(queues[name].pop(0)))
        return copy

    return etree.tostring(rebuild(root))


def test_document_fields() -> None:
    """A document gives every field: parties, code, dates, signer, other info, trace, files."""
    doc = read_document(THREE_TO.read_bytes())
    assert doc.sender.organ_id == "000.00.00.G22" and doc.sender.website == "vpcp.vn"
    assert [t.organ_id for t in doc.recipients] == [
        "000.00.00.H41",
        "000.00.00.H14",
        "000.00.00.G17",
    ]
    assert doc.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert (doc.code.number, doc.code.notation) == ("7816", "VPCP-TTĐT")
    assert doc.promulgation.date == date(2019, 4, 11) and doc.due_date == date(2019, 4, 11)
    assert doc.document_type.type_name == "Công văn" and doc.signer.competence == "TL. BO TRUONG"
    assert doc.other_info.page_amount == "22" and len(doc.other_info.appendixes) == 1
    assert doc.to_places == ("Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP")
    assert doc.business.doc_type == "0" and doc.business.staff_info.mobile == "84912000001"
    assert doc.trace_headers[0].timestamp.isoformat() == "2019-04-11T00:00:00+07:00"
    assert doc.manifest[0].content_id == "cid:209"
    assert doc.attachments[0].data.startswith(b"PK\x03\x04")
    assert doc.signature is not None and b"SignatureValue" in doc.signature


def test_business_variants() -> None:
    """Revoke, update (receivers) and replace (replacement list) read their business block."""
    update = read_document((RESOURCES / "edoc_update.edxml").read_bytes()).business
    assert update.doc_type == "2" and [r.receiver_type for r in update.document_info.receivers] == [
        "0",
        "1",
    ]
    replace = read_document((RESOURCES / "edoc_replacement.edxml").read_bytes()).business
    assert replace.doc_type == "3" and replace.replacements[0].organ_ids == (
        "000.00.00.H41",
        "000.00.00.H14",
    )
    revoke = read_document((RESOURCES / "edoc_revocation.edxml").read_bytes())
    assert revoke.business.doc_type == "1" and revoke.response_for[0].code == "267/VPCP-TTĐT"


def test_real_world_variance() -> None:
    """dd/MM/yyyy dates and empty SignerInfo/DueDate (edoc-integrator) are read, empties as None."""
    doc = read_document((FIXTURES / "edoc-integrator" / "edoc_new.edxml").read_bytes())
    assert doc.promulgation.date == date(2020, 10, 30)
    assert doc.due_date is None and doc.signer.full_name is None and doc.sender.fax is None


@pytest.mark.parametrize("path", STATUSES, ids=sample_id)
def test_status_fields(path: Path) -> None:
    """Every status sample reads its code, parties, clerk and timestamp."""
    status = read_status(path.read_bytes())
    assert status.status_code in path.stem or path.stem == "status"
    assert status.response_for.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert status.staff_info is not None and status.timestamp is not None


@pytest.mark.parametrize("path", [*DOCUMENTS, *STATUSES], ids=sample_id)
@pytest.mark.parametrize("strip", [False, True], ids=["prefixed", "unprefixed"])
def test_order_and_prefix_insensitive(path: Path, strip: bool) -> None:
    """Shuffling every element's children, or dropping the namespace, reads the same message."""
    data = path.read_bytes()
    shuffled, original = read_message(_shuffled(data, strip=strip, seed=7)), read_message(data)
    assert (shuffled.signature is None) == (original.signature is None)
    assert replace(shuffled, signature=None) == replace(original, signature=None)


def test_kind_mismatch() -> None:
    """Asking for a document but getting a status is edxml.unsupported."""
    with pytest.raises(EdxmlError) as info:
        read_document((RESOURCES / "status_inbox_01.edxml").read_bytes())
    assert info.value.code == "edxml.unsupported"
    assert isinstance(read_message((RESOURCES / "status_inbox_01.edxml").read_bytes()), EdxmlStatus)
    assert isinstance(read_message(THREE_TO.read_bytes()), EdxmlDocument)


def test_malformed_sample_refused() -> None:
    """The malformed sample (nested From, placeholder base64) is edxml.malformed."""
    with pytest.raises(EdxmlError) as info:
        read_message(MALFORMED.read_bytes())
    assert info.value.code == "edxml.malformed"


def test_nested_from_refused() -> None:
    """A well-formed <From><From>…</From></From> is still edxml.malformed."""
    data = THREE_TO.read_bytes().replace(b"<edXML:From>", b"<edXML:From><edXML:From>", 1)
    data = data.replace(b"</edXML:From>", b"</edXML:From></edXML:From>", 1)
    with pytest.raises(EdxmlError) as info:
        read_message(data)
    assert info.value.code == "edxml.malformed"


def test_placeholder_attachment_refused() -> None:
    """An attachment whose content is not base64 (a template placeholder) is edxml.malformed."""
    root = etree.fromstring(THREE_TO.read_bytes())
    next(
        root.iter(f"{{{EDXML_NS}}}ContentTransferEncoded")
    ).text = "${__StringFromFile(test.txt,,,)}"
    with pytest.raises(EdxmlError) as info:
        read_message(etree.tostring(root))
    assert info.value.code == "edxml.malformed"


def test_duplicate_singleton_refused() -> None:
    """Two <Subject> elements are edxml.malformed, not a silent pick."""
    data = THREE_TO.read_bytes().replace(
        b"<edXML:Subject>", b"<edXML:Subject>x</edXML:Subject><edXML:Subject>", 1
    )
    with pytest.raises(EdxmlError) as info:
        read_message(data)
    assert info.value.code == "edxml.malformed"


def test_unknown_status_code_refused() -> None:
    """A StatusCode outside QCVN 102:2016's list is edxml.bad_status."""
    data = (RESOURCES / "status_inbox_01.edxml").read_bytes().replace(b">01<", b">42<")
    with pytest.raises(EdxmlError) as info:
        read_message(data)
    assert info.value.code == "edxml.bad_status"


@pytest.mark.parametrize(
    ("prolog", "code"),
    [
        (b'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "xml.entity"),
        (b"<!DOCTYPE edXML>", "xml.dtd"),
    ],
)
def test_hostile_prolog_refused(prolog: bytes, code: str) -> None:
    """DOCTYPE / XXE in an edXML message are refused by the hardened parser."""
    data = (RESOURCES / "status_inbox_01.edxml").read_bytes()
    head, rest = data.split(b"\n", 1)
    with pytest.raises(XmlError) as info:
        read_message(head + b"\n" + prolog + b"\n" + rest)
    assert info.value.code == code


def test_size_limit() -> None:
    """A message over the size limit is refused before parsing (xml.too_large)."""
    with pytest.raises(XmlError) as info:
        read_message(THREE_TO.read_bytes(), max_bytes=1000)
    assert info.value.code == "xml.too_large"
