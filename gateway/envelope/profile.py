"""The XML-DSig profile the hub accepts, checked on the tree before any cryptography.

Everything here is structural: where the one Signature sits, which algorithms SignedInfo
names, what the one Reference covers, which transforms it applies, and which certificate
KeyInfo offers (a hint only; trust is decided by :class:`gateway.pki.trust.TrustStore`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Final

from lxml import etree

from gateway.envelope.signing import DSIG_NS
from gateway.errors import SignatureError

__all__ = [
    "ECDSA_SHA256",
    "EXC_C14N",
    "RSA_SHA256",
    "SignatureProfile",
    "check_profile",
    "locate_signature",
]

_DS: Final = f"{{{DSIG_NS}}}"
EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
_SIGNATURE_METHODS: Final = frozenset({RSA_SHA256, ECDSA_SHA256})
_TRANSFORMS: Final = frozenset({ENVELOPED, EXC_C14N})
_INCLUSIVE_NAMESPACES: Final = f"{{{EXC_C14N}}}InclusiveNamespaces"


@dataclass(frozen=True, slots=True)
class SignatureProfile:
    """What the checked Signature says: its method, digest value, and KeyInfo certificate."""

    signature: etree._Element
    method: str
    digest_value: bytes
    certificate_der: bytes


def locate_signature(root: etree._Element) -> etree._Element:
    """The one ds:Signature, which must be the root's last child element."""
    signatures = list(root.iter(f"{_DS}Signature"))
    if not signatures:
        raise SignatureError("the document carries no signature", code="signature.missing")
    if len(signatures) > 1:
        raise SignatureError(
            f"the document carries {len(signatures)} signatures", code="signature.multiple"
        )
    signature = signatures[0]
    children = list(root.iterchildren(tag=etree.Element))
    if signature is not children[-1]:
        raise SignatureError(
            "the signature must be the last child of the root", code="signature.misplaced"
        )
    return signature


def check_profile(signature: etree._Element) -> SignatureProfile:
    """Refuse any Signature outside the profile; return what verification needs."""
    parts = _elements(signature)
    names = [etree.QName(e).localname if _is_ds(e) else e.tag for e in parts]
    if names not in (["SignedInfo", "SignatureValue", "KeyInfo"],):
        raise SignatureError(
            f"Signature must hold SignedInfo, SignatureValue, KeyInfo; found {names}",
            code="signature.invalid",
        )
    method, reference = _check_signed_info(parts[0])
    digest_value = _check_reference(reference)
    certificate_der = _certificate_der(parts[2])
    _check_unsigned_parts(signature, parts[1], parts[2])
    return SignatureProfile(signature, method, digest_value, certificate_der)


def _check_unsigned_parts(
    signature: etree._Element, value: etree._Element, key_info: etree._Element
) -> None:
    """Refuse anything in the Signature that nothing signs and the hub does not use.

    The enveloped-signature transform leaves the whole Signature out of the digest, and
    SignatureValue signs only SignedInfo: what else the Signature holds would be relayed to
    recipients byte for byte with no signature behind it. So KeyInfo must be exactly one
    X509Data holding exactly one X509Certificate, with no attributes (but ``Id``), text,
    comments or processing instructions around them (``signature.unsigned_content``).
    """
    if any(True for _ in signature.iter(etree.Comment, etree.PI)):
        raise _unsigned("a comment or processing instruction inside the Signature")
    _check_bare(signature, "Signature", children=None)
    _check_bare(value, "SignatureValue", children=[], own_text=True)
    _check_bare(key_info, "KeyInfo", children=["X509Data"])
    x509_data = _elements(key_info)[0]
    _check_bare(x509_data, "X509Data", children=["X509Certificate"])
    _check_bare(_elements(x509_data)[0], "X509Certificate", children=[], own_text=True)


def _check_bare(
    element: etree._Element, name: str, *, children: list[str] | None, own_text: bool = False
) -> None:
    """``element`` has no attribute but ``Id``, no text unless ``own_text`` (only blanks
    between its children), and exactly the ds ``children`` named (None: not checked)."""
    if any(attribute != "Id" for attribute in element.attrib):
        raise _unsigned(f"{name} carries an attribute no signature covers")
    parts = _elements(element)
    if children is not None:
        names = [etree.QName(e).localname if _is_ds(e) else e.tag for e in parts]
        if names != children:
            raise _unsigned(f"{name} must hold {children or 'no element'}; found {names}")
    texts = [] if own_text else [element.text]
    texts += [child.tail for child in parts]
    if any(text and text.strip() for text in texts):
        raise _unsigned(f"{name} carries text no signature covers")


def _unsigned(what: str) -> SignatureError:
    return SignatureError(what, code="signature.unsigned_content")


def _elements(parent: etree._Element) -> list[etree._Element]:
    return list(parent.iterchildren(tag=etree.Element))


def _is_ds(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and element.tag.startswith(_DS)


def _algorithm(element: etree._Element | None, what: str) -> str:
    if element is None:
        raise SignatureError(f"{what} is missing", code="signature.invalid")
    return element.get("Algorithm", "")


def _check_signed_info(signed_info: etree._Element) -> tuple[str, etree._Element]:
    c14n = signed_info.find(f"{_DS}CanonicalizationMethod")
    if _algorithm(c14n, "CanonicalizationMethod") != EXC_C14N:
        raise SignatureError(
            "SignedInfo must use exclusive C14N without comments", code="signature.algorithm"
        )
    method_element = signed_info.find(f"{_DS}SignatureMethod")
    method = _algorithm(method_element, "SignatureMethod")
    if method not in _SIGNATURE_METHODS or _elements(method_element):  # type: ignore[arg-type]
        raise SignatureError(
            f"signature method {method!r} is not allowed", code="signature.algorithm"
        )
    references = signed_info.findall(f"{_DS}Reference")
    children = _elements(signed_info)
    if len(references) != 1 or len(children) != 3:
        raise SignatureError(
            "SignedInfo must hold exactly one Reference", code="signature.reference"
        )
    return method, references[0]


def _check_reference(reference: etree._Element) -> bytes:
    if reference.get("URI") != "":
        raise SignatureError(
            'the Reference must be URI="" (the whole document)', code="signature.reference"
        )
    _check_transforms(reference.find(f"{_DS}Transforms"))
    if _algorithm(reference.find(f"{_DS}DigestMethod"), "DigestMethod") != SHA256:
        raise SignatureError("the digest method must be SHA-256", code="signature.algorithm")
    digest = reference.find(f"{_DS}DigestValue")
    try:
        return base64.b64decode("".join(_text(digest).split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("DigestValue is not base64", code="signature.invalid") from exc


def _check_transforms(transforms: etree._Element | None) -> None:
    children = [] if transforms is None else _elements(transforms)
    if any(child.tag != f"{_DS}Transform" for child in children):
        raise SignatureError("Transforms holds a foreign element", code="signature.transform")
    algorithms = [_algorithm(child, "Transform") for child in children]
    if any(a not in _TRANSFORMS for a in algorithms) or len(set(algorithms)) != len(algorithms):
        raise SignatureError(f"transforms {algorithms} are not allowed", code="signature.transform")
    if ENVELOPED not in algorithms:
        raise SignatureError(
            "the enveloped-signature transform is required", code="signature.transform"
        )
    for child in children:
        if any(e.tag != _INCLUSIVE_NAMESPACES for e in _elements(child)):
            raise SignatureError("a transform carries parameters", code="signature.transform")


def _text(element: etree._Element | None) -> str:
    return "" if element is None else "".join(map(str, element.itertext())).strip()


def _certificate_der(key_info: etree._Element) -> bytes:
    certificate = key_info.find(f"{_DS}X509Data/{_DS}X509Certificate")
    if certificate is None:
        raise SignatureError(
            "KeyInfo carries no X509Certificate", code="signature.untrusted_certificate"
        )
    try:
        return base64.b64decode("".join(_text(certificate).split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError(
            "X509Certificate is not base64", code="signature.untrusted_certificate"
        ) from exc
