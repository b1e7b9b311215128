"""Hostile signatures: missing, doubled, misplaced, wrapped, weak, re-targeted, tampered."""

from __future__ import annotations

import copy

import pytest
import xmlsec
from lxml import etree
from support.certs import CertFactory, Issued
from support.envelopes import sample_envelope, sample_receipt
from support.hostile import NS, Refuses, edit, find, xmlsec_sign

from gateway.envelope.codec import envelope_to_element
from gateway.envelope.seal import seal_receipt
from gateway.envelope.signing import sign_element
from gateway.envelope.verify import verify_envelope, verify_receipt
from gateway.pki.trust import TrustStore

T = xmlsec.Transform
DS = "{http://www.w3.org/2000/09/xmldsig#}"
E = "{urn:lienthong:envelope:1}"


def test_schema_violation_under_a_valid_signature(sender: Issued, refuses: Refuses) -> None:
    """A correctly signed envelope with an element the XSD does not allow: envelope.schema."""
    root = envelope_to_element(sample_envelope())
    etree.SubElement(find(root, "e:Header"), f"{E}Priority").text = "high"
    refuses(sign_element(root, sender.key, sender.cert), "envelope.schema")


def test_no_signature(refuses: Refuses) -> None:
    """An unsigned envelope is refused: signature.missing."""
    refuses(etree.tostring(envelope_to_element(sample_envelope())), "signature.missing")


def test_signature_removed(good: bytes, refuses: Refuses) -> None:
    """Stripping the signature off a signed envelope (exclusion) is signature.missing."""
    refuses(edit(good, lambda r: r.remove(find(r, "ds:Signature"))), "signature.missing")


def test_two_signatures(good: bytes, refuses: Refuses) -> None:
    """A second copy of the signature is refused: signature.multiple."""
    data = edit(good, lambda r: r.append(copy.deepcopy(find(r, "ds:Signature"))))
    refuses(data, "signature.multiple")


def test_second_signature_hidden_in_extensions(good: bytes, refuses: Refuses) -> None:
    """A signature tucked inside Extensions still counts: signature.multiple."""

    def change(root: etree._Element) -> None:
        extensions = etree.Element(f"{E}Extensions")
        extensions.append(copy.deepcopy(find(root, "ds:Signature")))
        find(root, "e:Manifest").addnext(extensions)

    refuses(edit(good, change), "signature.multiple")


def test_signature_not_last_child(good: bytes, refuses: Refuses) -> None:
    """The one signature moved into the Header is signature.misplaced."""

    def change(root: etree._Element) -> None:
        find(root, "e:Header").append(find(root, "ds:Signature"))

    refuses(edit(good, change), "signature.misplaced")


def test_wrapping_signed_envelope_inside_a_forged_one(good: bytes, refuses: Refuses) -> None:
    """A forged envelope carrying the genuine one in Extensions, signature last: refused."""

    def change(root: etree._Element) -> None:
        signature = find(root, "ds:Signature")
        original = copy.deepcopy(root)
        original.remove(find(original, "ds:Signature"))
        find(root, "e:Document/e:Subject").text = "Forged subject"
        extensions = etree.Element(f"{E}Extensions")
        extensions.append(original)
        signature.addprevious(extensions)

    refuses(edit(good, change), "signature.digest_mismatch")


def test_wrapping_whole_signed_document(good: bytes, refuses: Refuses) -> None:
    """The signed envelope wrapped in a new root: its signature is no longer the root's."""

    def wrap(data: bytes) -> bytes:
        inner = etree.fromstring(data)
        outer = etree.Element(f"{E}Envelope", nsmap={None: "urn:lienthong:envelope:1"})
        outer.set("version", "1")
        for name in ("Header", "Document", "Manifest"):
            outer.append(copy.deepcopy(find(inner, f"e:{name}")))
        extensions = etree.SubElement(outer, f"{E}Extensions")
        extensions.append(inner)
        return etree.tostring(outer)

    refuses(wrap(good), "signature.misplaced")


def test_unsigned_second_header(good: bytes, refuses: Refuses) -> None:
    """An unsigned Header beside the signed one changes the digest: refused."""

    def change(root: etree._Element) -> None:
        shadow = copy.deepcopy(find(root, "e:Header"))
        find(shadow, "e:Sender").text = "000.00.00.G22"
        find(root, "e:Header").addprevious(shadow)

    refuses(edit(good, change), "signature.digest_mismatch")


def test_signed_element_moved(good: bytes, refuses: Refuses) -> None:
    """Reordering signed elements (Document before Header) breaks the digest: refused."""
    data = edit(good, lambda r: find(r, "e:Header").addprevious(find(r, "e:Document")))
    refuses(data, "signature.digest_mismatch")


def test_reference_to_an_id_not_the_root(sender: Issued, refuses: Refuses) -> None:
    """A genuine signature whose Reference is URI="#hdr" (not the whole root) is refused."""
    root = envelope_to_element(sample_envelope())
    find(root, "e:Header").set("Id", "hdr")
    data = xmlsec_sign(
        root, sender.key, sender.cert, uri="#hdr", transforms=(T.ENVELOPED, T.EXCL_C14N)
    )
    refuses(data, "signature.reference")


def test_two_references(good: bytes, refuses: Refuses) -> None:
    """SignedInfo with a second Reference is refused: signature.reference."""

    def change(root: etree._Element) -> None:
        reference = find(root, "ds:Signature/ds:SignedInfo/ds:Reference")
        reference.addnext(copy.deepcopy(reference))

    refuses(edit(good, change), "signature.reference")


@pytest.mark.parametrize(
    "transform", [T.XSLT, T.XPATH, T.XPATH2, T.EXCL_C14N_COMMENTS], ids=lambda t: t.name
)
def test_xslt_or_xpath_transform(good: bytes, refuses: Refuses, transform: object) -> None:
    """XSLT, XPath or a comment-keeping C14N in the Reference: signature.transform."""

    def change(root: etree._Element) -> None:
        transforms = find(root, "ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms")
        extra = etree.SubElement(transforms, f"{DS}Transform")
        extra.set("Algorithm", transform.href)  # type: ignore[attr-defined]
        etree.SubElement(extra, f"{DS}XPath").text = "not(ancestor-or-self::e:Header)"

    refuses(edit(good, change), "signature.transform")


def test_transform_without_enveloped(sender: Issued, refuses: Refuses) -> None:
    """A reference with only exc-C14N (no enveloped-signature) is refused."""
    root = envelope_to_element(sample_envelope())
    data = xmlsec_sign(root, sender.key, sender.cert, transforms=(T.EXCL_C14N,))
    refuses(data, "signature.transform")


@pytest.mark.parametrize(
    ("method", "digest"),
    [
        (T.RSA_SHA256, T.SHA1),  # SHA-1 digest
        (T.RSA_SHA1, T.SHA256),  # rsa-sha1
        (T.RSA_SHA1, T.SHA1),
    ],
    ids=["sha1-digest", "rsa-sha1", "rsa-sha1+sha1"],
)
def test_sha1_methods(sender: Issued, refuses: Refuses, method: object, digest: object) -> None:
    """Genuine signatures made with SHA-1 are refused: signature.algorithm."""
    root = envelope_to_element(sample_envelope())
    refuses(
        xmlsec_sign(root, sender.key, sender.cert, method=method, digest=digest),
        "signature.algorithm",
    )


@pytest.mark.parametrize("where", ["digest", "method"])
def test_md5(good: bytes, refuses: Refuses, where: str) -> None:
    """MD5 as digest or signature method is refused: signature.algorithm."""

    def change(root: etree._Element) -> None:
        if where == "digest":
            path, href = "ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestMethod", T.MD5.href
        else:
            path, href = "ds:Signature/ds:SignedInfo/ds:SignatureMethod", T.RSA_MD5.href
        find(root, path).set("Algorithm", href)

    refuses(edit(good, change), "signature.algorithm")


def test_hmac_method(refuses: Refuses) -> None:
    """A genuine HMAC-SHA256 signature (algorithm confusion) is refused: signature.algorithm."""
    root = envelope_to_element(sample_envelope())
    refuses(xmlsec_sign(root, b"k" * 32, None, method=T.HMAC_SHA256), "signature.algorithm")


def test_c14n_with_comments(sender: Issued, refuses: Refuses) -> None:
    """SignedInfo canonicalized with comments (or inclusively) is refused."""
    root = envelope_to_element(sample_envelope())
    refuses(xmlsec_sign(root, sender.key, sender.cert, c14n=T.C14N_COMMENTS), "signature.algorithm")


def test_tampered_metadata(good: bytes, refuses: Refuses) -> None:
    """Changing the subject after signing is signature.digest_mismatch."""
    data = good.replace("Về việc".encode(), "Hủy bỏ".encode())
    assert data != good
    refuses(data, "signature.digest_mismatch")


def test_tampered_recipient(good: bytes, refuses: Refuses) -> None:
    """Adding a recipient after signing is signature.digest_mismatch."""
    data = good.replace(b"<Unit>000.00.11.H53</Unit>", b"<Unit>000.00.11.H53</Unit><Unit>X</Unit>")
    refuses(data, "signature.digest_mismatch")


def test_tampered_signature_value(good: bytes, refuses: Refuses) -> None:
    """A changed SignatureValue over an intact digest is signature.invalid."""

    def change(root: etree._Element) -> None:
        value = find(root, "ds:Signature/ds:SignatureValue")
        text = "".join((value.text or "").split())
        value.text = ("B" if text[0] != "B" else "C") + text[1:]

    refuses(edit(good, change), "signature.invalid")


def test_tampered_signed_info(good: bytes, refuses: Refuses) -> None:
    """A DigestValue recomputed for forged content, SignatureValue kept: signature.invalid."""
    import base64
    import hashlib

    def change(root: etree._Element) -> None:
        find(root, "e:Document/e:Subject").text = "Forged"
        signature = find(root, "ds:Signature")
        root.remove(signature)
        digest = hashlib.sha256(etree.tostring(root, method="c14n", exclusive=True)).digest()
        root.append(signature)
        find(signature, "ds:SignedInfo/ds:Reference/ds:DigestValue").text = base64.b64encode(
            digest
        ).decode()

    refuses(edit(good, change), "signature.invalid")


def test_comment_injection_changes_nothing_read(good: bytes, trust: TrustStore) -> None:
    """A comment splitting signed text verifies (C14N drops it) and the text reads whole."""
    data = good.replace("Về việc triển khai".encode(), "Về việc<!-- x --> triển khai".encode())
    data = data.replace(b"<Sender>000.00.00.H01<", b"<Sender>000.00<!---->.00.H01<")
    assert data != good
    verified = verify_envelope(data, trust)
    assert verified.envelope == sample_envelope()
    assert verified.xml == data


def test_comment_injection_with_added_text(good: bytes, refuses: Refuses) -> None:
    """A comment plus text that changes what the signer wrote is signature.digest_mismatch."""
    data = good.replace(b"<Sender>000.00.00.H01<", b"<Sender>000.00.00.H01<!---->9<")
    refuses(data, "signature.digest_mismatch")


def test_keyinfo_certificate_of_another_trusted_unit(
    factory: CertFactory, good: bytes, refuses: Refuses
) -> None:
    """KeyInfo swapped to another trusted unit's certificate: the signature does not verify."""
    other = factory.issue("000.00.00.G22", slot=4)
    data = _swap_certificate(good, other)
    error = refuses(data, "signature.invalid")
    assert "KeyInfo" in error.message


def test_keyinfo_certificate_of_another_key_type(
    factory: CertFactory, good: bytes, refuses: Refuses
) -> None:
    """An ECDSA certificate offered for an RSA signature: signature.key_mismatch."""
    other = factory.issue("000.00.00.G22", key_type="ecdsa-p256")
    refuses(_swap_certificate(good, other), "signature.key_mismatch")


def _swap_certificate(data: bytes, other: Issued) -> bytes:
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    def change(root: etree._Element) -> None:
        cert = find(root, "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate")
        cert.text = base64.b64encode(other.cert.public_bytes(Encoding.DER)).decode()

    return edit(data, change)


def test_tampered_receipt(sender: Issued, refuses: Refuses) -> None:
    """A receipt whose status was changed after signing is signature.digest_mismatch."""
    data = seal_receipt(sample_receipt(), sender.key, sender.cert)
    data = data.replace(
        b"<Code>03</Code><Name>accepted</Name>", b"<Code>06</Code><Name>completed</Name>"
    )
    refuses(data, "signature.digest_mismatch", verify=verify_receipt)


def test_namespace_is_ours() -> None:
    """The corpus edits the documents it means to (NS map sanity check)."""
    assert NS["ds"] == DS[1:-1] and NS["e"] == E[1:-1]
