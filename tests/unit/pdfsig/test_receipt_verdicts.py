"""The PDF verdicts in a signed receipt: the schema (shipped, valid XSD 1.0), the codec's
round trip, a sealed receipt that carries them and verifies, and one without them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from lxml import etree

from gateway.envelope.model import Status
from gateway.envelope.seal import seal_receipt
from gateway.envelope.verify import verify_receipt
from gateway.errors import EnvelopeError, SignatureError
from gateway.pdfsig.receipt import (
    CARRIED_BY,
    PDFSIG_NS,
    ReceiptVerdicts,
    extension_xml,
    schema_bytes,
    verdicts_of,
)
from gateway.pdfsig.verdict import PdfVerdict, SignatureVerdict
from tests.support.certs import CertFactory, Issued
from tests.support.envelopes import RECIPIENT, sample_receipt

ROOT = Path(__file__).resolve().parents[3]


def _signature(kind: str, **kw: Any) -> SignatureVerdict:
    values: dict[str, Any] = {
        "field": f"Sig-{kind}",
        "signer": "Nguyễn Văn A" if kind == "person" else "UBND xã Test",
        "organisation": "UBND xã Test",
        "kind": kind,
        "signed_at": "2026-12-07T05:00:00+00:00",
        "timestamped": False,
        "intact": True,
        "modified_after_signing": False,
        "trusted": True,
        "revocation": "good",
        "revocation_source": "OCSP",
        "certificate_sha256": "c" * 64,
    }
    values.update(kw)
    return SignatureVerdict(**values)


def _report() -> dict[str, Any]:
    good = PdfVerdict(
        "quyết-định.pdf",
        "a" * 64,
        "valid",
        (_signature("person"), _signature("organisation")),
        checked_at="2026-12-07T05:01:02.345678+00:00",
        kinds=("organisation", "person"),
    )
    bad = PdfVerdict(
        "phụ-lục.pdf",
        "b" * 64,
        "invalid",
        (_signature("person", intact=False, problem="bytes \x00 changed", signed_at=None),),
        problem="person signature 'Sig-person': changed",
        checked_at="2026-12-07T05:01:02+00:00",
    )
    return {"policy": "flag", "flagged": True, "files": [good.to_json(), bad.to_json()]}


@pytest.fixture(scope="module")
def issued() -> tuple[Issued, CertFactory]:
    """A recipient's key and certificate from a test hub CA."""
    factory = CertFactory()
    return factory.issue(RECIPIENT), factory


def test_package_copy_matches_schemas_dir() -> None:
    """pdfsig-1.xsd inside the package is byte-identical to schemas/, and valid XSD 1.0."""
    assert schema_bytes() == (ROOT / "schemas" / "pdfsig-1.xsd").read_bytes()
    doc = etree.fromstring(schema_bytes())
    assert doc.get("targetNamespace") == PDFSIG_NS
    xmlschema.XMLSchema10(ROOT / "schemas" / "pdfsig-1.xsd")


def test_extension_round_trips_and_xmlschema_agrees() -> None:
    """What the codec writes, it reads back; xmlschema validates it too."""
    report = _report()
    data = extension_xml(report)
    element = etree.fromstring(data)[0]
    xmlschema.XMLSchema10(ROOT / "schemas" / "pdfsig-1.xsd").validate(etree.tostring(element))
    read = verdicts_of(dataclasses.replace(sample_receipt(), extensions=data))
    assert read is not None
    assert (read["policy"], read["flagged"]) == ("flag", True)
    good, bad = read["files"]
    assert (good["name"], good["status"], good["problem"]) == ("quyết-định.pdf", "valid", None)
    assert [(s["kind"], s["ok"], s["revocation_source"]) for s in good["signatures"]] == [
        ("person", True, "OCSP"),
        ("organisation", True, "OCSP"),
    ]
    assert bad["status"] == "invalid" and bad["signatures"][0]["ok"] is False
    assert bad["signatures"][0]["problem"] == "bytes \ufffd changed"  # not an XML character
    assert bad["signatures"][0]["signed_at"] is None


def test_sealed_receipt_carries_the_verdicts_and_verifies(
    issued: tuple[Issued, CertFactory],
) -> None:
    """A receipt sealed with the verdicts verifies; they are read from the verified tree;
    changing a status breaks the signature."""
    (recipient, factory) = issued
    receipt = dataclasses.replace(sample_receipt(), extensions=extension_xml(_report()))
    data = seal_receipt(receipt, recipient.key, recipient.cert)
    verified = verify_receipt(data, factory.trust_store())
    carried = verdicts_of(verified.receipt)
    assert carried is not None and [f["status"] for f in carried["files"]] == ["valid", "invalid"]
    forged = data.replace(b'status="invalid"', b'status="valid"', 1)
    with pytest.raises(SignatureError):
        verify_receipt(forged, factory.trust_store())


def test_receipt_without_verdicts_reads_as_none(issued: tuple[Issued, CertFactory]) -> None:
    """A receipt with no extensions, or with other extensions only, carries no verdicts."""
    (recipient, factory) = issued
    plain = verify_receipt(
        seal_receipt(sample_receipt(), recipient.key, recipient.cert), factory.trust_store()
    )
    assert verdicts_of(plain.receipt) is None
    other = (
        b'<Extensions xmlns="urn:lienthong:receipt:1">'
        b'<x:Note xmlns:x="urn:x">hi</x:Note></Extensions>'
    )
    assert verdicts_of(dataclasses.replace(sample_receipt(), extensions=other)) is None


def test_malformed_verdicts_are_envelope_schema() -> None:
    """An element of our namespace that breaks pdfsig-1.xsd is ``envelope.schema``."""
    data = extension_xml(_report()).replace(b'status="valid"', b'status="perfect"', 1)
    with pytest.raises(EnvelopeError) as caught:
        verdicts_of(dataclasses.replace(sample_receipt(), extensions=data))
    assert caught.value.code == "envelope.schema"


async def test_receipt_verdicts_only_for_first_answers_and_read_once() -> None:
    """The hook gives the extensions for a first answer (01/02/03/90/91) only, and asks
    the store once per message."""
    asked: list[str] = []

    async def reports(message_id: str) -> dict[str, Any] | None:
        asked.append(message_id)
        return _report() if message_id == "with-pdf" else None

    hook = ReceiptVerdicts(reports)
    for status in CARRIED_BY:
        assert await hook("with-pdf", status) is not None
    assert await hook("with-pdf", Status.COMPLETED) is None
    assert await hook("no-pdf", Status.RECEIVED) is None
    assert await hook("no-pdf", Status.ACCEPTED) is None
    assert asked == ["with-pdf", "no-pdf"]
