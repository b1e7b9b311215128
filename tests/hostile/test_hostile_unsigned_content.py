"""Content nothing signs: the parts of ds:Signature outside SignedInfo are refused if extra.

The enveloped-signature transform leaves the whole Signature out of the digest, so an
element, attribute, text or comment added to KeyInfo (or beside it) would reach the
recipient byte for byte with no signature behind it (issue 21, item 7).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree
from support.certs import CertFactory
from support.envelopes import sample_receipt
from support.hostile import Refuses, edit, find

from gateway.envelope.seal import seal_receipt
from gateway.envelope.signing import DSIG_NS
from gateway.envelope.verify import verify_envelope, verify_receipt
from gateway.pki.trust import TrustStore

_DS = f"{{{DSIG_NS}}}"


def _add_element(path: str, tag: str, text: str = "injected") -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        etree.SubElement(find(root, path), tag).text = text

    return change


def _set_attribute(path: str, name: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        find(root, path).set(name, "injected")

    return change


def _add_text(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        find(root, path).text = "Pay 1,000,000 VND to account 123"

    return change


def _add_node(path: str, node: Callable[[], etree._Element]) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        find(root, path).append(node())

    return change


def _second_certificate(root: etree._Element) -> None:
    certificate = find(root, "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate")
    copy = etree.SubElement(certificate.getparent(), f"{_DS}X509Certificate")
    copy.text = certificate.text


KEY_INFO = "ds:Signature/ds:KeyInfo"
CASES: dict[str, Callable[[etree._Element], None]] = {
    "foreign element in KeyInfo": _add_element(KEY_INFO, "{urn:evil}Note"),
    "ds:KeyName in KeyInfo": _add_element(KEY_INFO, f"{_DS}KeyName"),
    "element in X509Data": _add_element(f"{KEY_INFO}/ds:X509Data", f"{_DS}X509SubjectName"),
    "element in X509Certificate": _add_element(
        f"{KEY_INFO}/ds:X509Data/ds:X509Certificate", "{urn:evil}Note", text=""
    ),
    "second X509Certificate": _second_certificate,
    "attribute on KeyInfo": _set_attribute(KEY_INFO, "{urn:evil}note"),
    "attribute on Signature": _set_attribute("ds:Signature", "note"),
    "text in KeyInfo": _add_text(KEY_INFO),
    "text in X509Data": _add_text(f"{KEY_INFO}/ds:X509Data"),
    "comment in KeyInfo": _add_node(KEY_INFO, lambda: etree.Comment(" unsigned ")),
    "comment in SignedInfo": _add_node("ds:Signature/ds:SignedInfo", lambda: etree.Comment("x")),
}


@pytest.mark.parametrize("change", CASES.values(), ids=CASES.keys())
def test_unsigned_content_in_the_signature_is_refused(
    good: bytes, refuses: Refuses, change: Callable[[etree._Element], None]
) -> None:
    """Anything added where no signature covers it is signature.unsigned_content."""
    refuses(edit(good, change), "signature.unsigned_content")


def test_blanks_and_an_id_in_the_signature_are_accepted(good: bytes, trust: TrustStore) -> None:
    """Indentation between the Signature's elements and an ``Id`` attribute still verify."""

    def change(root: etree._Element) -> None:
        signature = find(root, "ds:Signature")
        signature.set("Id", "sig-1")
        for path in ("ds:Signature", KEY_INFO, f"{KEY_INFO}/ds:X509Data"):
            parent = find(root, path)
            parent.text = "\n  "
            for child in parent:
                child.tail = "\n  "

    verified = verify_envelope(edit(good, change), trust)
    assert verified.signer_unit
    assert find(etree.fromstring(verified.xml), "ds:Signature").get("Id") == "sig-1"


def test_unsigned_content_in_a_signed_receipt_is_refused(
    factory: CertFactory, refuses: Refuses
) -> None:
    """A signed receipt gets the same check: an element added to its KeyInfo is refused."""
    issued = factory.issue(sample_receipt().recipient)
    sealed = seal_receipt(sample_receipt(), issued.key, issued.cert)
    changed = edit(sealed, CASES["foreign element in KeyInfo"])
    refuses(changed, "signature.unsigned_content", verify=verify_receipt)
