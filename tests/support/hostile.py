"""Types shared by the hostile corpus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from gateway.envelope.model import ENVELOPE_NS
from gateway.envelope.signing import DSIG_NS
from gateway.errors import GatewayError
from gateway.pki.keyfiles import PrivateKey

NS = {"e": ENVELOPE_NS, "ds": DSIG_NS}

#: ``refuses(data, code, *, verify=verify_envelope, trust_store=None) -> GatewayError``
Refuses = Callable[..., GatewayError]


def edit(data: bytes, change: Callable[[etree._Element], object]) -> bytes:
    """Parse signed bytes (our own test data), apply ``change`` to the root, serialize."""
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def find(root: etree._Element, path: str) -> etree._Element:
    """The first element at ``path`` (``e:`` envelope, ``ds:`` dsig prefixes); must exist."""
    found = root.find(path, NS)
    assert found is not None, path
    return found


def xmlsec_sign(
    root: etree._Element,
    key: PrivateKey | bytes,
    cert: x509.Certificate | None,
    *,
    c14n: Any = None,
    method: Any = None,
    digest: Any = None,
    transforms: tuple[Any, ...] | None = None,
    uri: str = "",
    key_format: Any = None,
) -> bytes:
    """Sign with xmlsec directly, with any algorithms (to build genuinely signed attacks).

    ``key`` may be raw bytes for an HMAC key.
    """
    signature = xmlsec.template.create(
        root, c14n or xmlsec.Transform.EXCL_C14N, method or xmlsec.Transform.RSA_SHA256, ns="ds"
    )
    root.append(signature)
    reference = xmlsec.template.add_reference(signature, digest or xmlsec.Transform.SHA256, uri=uri)
    for transform in transforms or (xmlsec.Transform.ENVELOPED, xmlsec.Transform.EXCL_C14N):
        xmlsec.template.add_transform(reference, transform)
    key_info = xmlsec.template.ensure_key_info(signature)
    if cert is not None:
        xmlsec.template.x509_data_add_certificate(xmlsec.template.add_x509_data(key_info))
    context = xmlsec.SignatureContext()
    if isinstance(key, bytes):
        context.key = xmlsec.Key.from_binary_data(xmlsec.KeyData.HMAC, key)
    else:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        loaded = xmlsec.Key.from_memory(pem, xmlsec.KeyFormat.PEM)
        if cert is not None:
            loaded.load_cert_from_memory(
                cert.public_bytes(serialization.Encoding.PEM), xmlsec.KeyFormat.CERT_PEM
            )
        context.key = loaded
    if uri.startswith("#"):
        for element in root.iter():
            if element.get("Id") == uri[1:]:
                context.register_id(element, "Id")
    context.sign(signature)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
