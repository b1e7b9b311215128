"""Enveloped XML-DSig with python-xmlsec: the one place that signs XML.

The profile (and nothing else) that :mod:`gateway.envelope.verify` accepts:

- CanonicalizationMethod exclusive C14N (without comments);
- SignatureMethod RSA-SHA256 (RSA 2048 or 3072 bits) or ECDSA-SHA256 (P-256);
- exactly one Reference, ``URI=""`` (the whole document), transforms enveloped-signature then
  exclusive C14N, DigestMethod SHA-256;
- KeyInfo/X509Data/X509Certificate with the signer's certificate (a hint for the verifier,
  which decides trust from the hub's trust store);
- the Signature is appended as the last child of the root.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from typing import Final

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from gateway.errors import SignatureError
from gateway.pki.keyfiles import PrivateKey

__all__ = ["DSIG_NS", "sign_element", "signature_method_for"]

DSIG_NS: Final = "http://www.w3.org/2000/09/xmldsig#"
_RSA_BITS: Final = (2048, 3072, 4096)
_CACHE_SIZE: Final = 64

# xmlsec.Key objects are costly to build (PEM parse); keep the recent ones. Each entry holds
# the cryptography key object itself, so its id() cannot be reused while it is cached.
_keys: OrderedDict[tuple[int, bytes], tuple[PrivateKey, xmlsec.Key, str]] = OrderedDict()
_keys_lock = threading.Lock()


def signature_method_for(key: PrivateKey) -> xmlsec.constants.__Transform:
    """The xmlsec SignatureMethod transform for ``key``; other keys are refused."""
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size in _RSA_BITS:
        return xmlsec.constants.TransformRsaSha256
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return xmlsec.constants.TransformEcdsaSha256
    raise SignatureError(
        "only RSA 2048/3072 and ECDSA P-256 keys may sign", code="signature.algorithm"
    )


def sign_element(el: etree._Element, key: PrivateKey, cert: x509.Certificate) -> bytes:
    """Sign ``el`` (a root element) in place and return the signed document as UTF-8 bytes.

    ``el`` must not already carry a signature; ``cert`` must hold the public half of ``key``.
    """
    if el.find(f"{{{DSIG_NS}}}Signature") is not None:
        raise SignatureError("the element is already signed", code="signature.multiple")
    method = signature_method_for(key)
    signature = _template(el, method)
    context = xmlsec.SignatureContext()
    xmlsec_key, cert_base64 = _xmlsec_key(key, cert)
    context.key = xmlsec_key
    try:
        context.sign(signature)
    except xmlsec.Error as exc:  # pragma: no cover - xmlsec only fails on broken keys
        el.remove(signature)
        raise SignatureError(f"signing failed: {exc}", code="signature.invalid") from exc
    _append_key_info(signature, cert_base64)
    return etree.tostring(el, encoding="UTF-8", xml_declaration=True)


def _template(el: etree._Element, method: xmlsec.constants.__Transform) -> etree._Element:
    signature: etree._Element = xmlsec.template.create(
        el, xmlsec.constants.TransformExclC14N, method, ns="ds"
    )
    el.append(signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri="")
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    return signature


def _append_key_info(signature: etree._Element, cert_base64: str) -> None:
    """KeyInfo/X509Data/X509Certificate after SignatureValue. KeyInfo is outside SignedInfo
    (nothing signs it), so it is written here from a cached base64 DER: a key that carries
    its certificate costs xmlsec a certificate copy and a base64 encoding on every sign
    (a noticeable share of a seal)."""
    ds = signature.prefix
    nsmap = {ds: DSIG_NS}
    key_info = etree.SubElement(signature, f"{{{DSIG_NS}}}KeyInfo", nsmap=nsmap)
    x509_data = etree.SubElement(key_info, f"{{{DSIG_NS}}}X509Data", nsmap=nsmap)
    certificate = etree.SubElement(x509_data, f"{{{DSIG_NS}}}X509Certificate", nsmap=nsmap)
    certificate.text = cert_base64


def _xmlsec_key(key: PrivateKey, cert: x509.Certificate) -> tuple[xmlsec.Key, str]:
    """The xmlsec key for ``key`` and ``cert``'s DER in base64, cached."""
    cache_key = (id(key), cert.fingerprint(hashes.SHA256()))
    with _keys_lock:
        hit = _keys.get(cache_key)
        if hit is not None and hit[0] is key:
            _keys.move_to_end(cache_key)
            return hit[1], hit[2]
    loaded = _load_key(key, cert)
    cert_base64 = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")
    with _keys_lock:
        _keys[cache_key] = (key, loaded, cert_base64)
        while len(_keys) > _CACHE_SIZE:
            _keys.popitem(last=False)
    return loaded, cert_base64


def _load_key(key: PrivateKey, cert: x509.Certificate) -> xmlsec.Key:
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    pem = serialization.Encoding.PEM
    if key.public_key().public_bytes(pem, public) != cert.public_key().public_bytes(pem, public):
        raise SignatureError(
            "the certificate does not hold this key's public half", code="signature.key_mismatch"
        )
    # The unencrypted PEM exists only in memory, only long enough for xmlsec to read it.
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
