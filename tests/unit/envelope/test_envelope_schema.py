"""The XSDs: shipped with the package, valid XSD 1.0, and in agreement with xmlschema."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from support.certs import Issued
from support.envelopes import sample_envelope, sample_receipt

from gateway.envelope import schema
from gateway.envelope.codec import envelope_to_element
from gateway.envelope.seal import seal_envelope, seal_receipt
from gateway.envelope.signing import sign_element
from gateway.errors import EnvelopeError

ROOT = Path(__file__).resolve().parents[3]
NAMES = ["envelope-1.xsd", "receipt-1.xsd"]


@pytest.mark.parametrize("name", NAMES)
def test_package_copy_matches_schemas_dir(name: str) -> None:
    """The XSD shipped inside the package is byte-identical to schemas/."""
    assert schema.schema_bytes(name) == (ROOT / "schemas" / name).read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_versioned_in_our_namespace(name: str) -> None:
    """Each XSD targets a urn:lienthong namespace and requires version="1" on the root."""
    doc = etree.fromstring(schema.schema_bytes(name))
    assert doc.get("targetNamespace", "").startswith("urn:lienthong:")
    assert doc.xpath(
        "//xs:attribute[@name='version']/@use", namespaces={"xs": doc.nsmap["xs"]}
    ) == ["required"]


def test_signed_documents_validate_with_xmlschema_and_lxml(sender: Issued) -> None:
    """A sealed envelope and receipt are valid for both xmlschema and lxml."""
    for data, name in (
        (seal_envelope(sample_envelope(), sender.key, sender.cert), "envelope-1.xsd"),
        (seal_receipt(sample_receipt(), sender.key, sender.cert), "receipt-1.xsd"),
    ):
        xmlschema.XMLSchema(schema.schema_bytes(name).decode()).validate(data.decode())
        schema.validate(etree.fromstring(data))


def test_unsigned_envelope_fails_both_validators() -> None:
    """Without its ds:Signature an envelope is invalid for xmlschema and lxml alike."""
    element = envelope_to_element(sample_envelope())
    xsd = xmlschema.XMLSchema(schema.schema_bytes("envelope-1.xsd").decode())
    assert not xsd.is_valid(etree.tostring(element).decode())
    with pytest.raises(EnvelopeError) as info:
        schema.validate(element)
    assert info.value.code == "envelope.schema"


def test_wrong_version_fails(sender: Issued) -> None:
    """version="2" is not this schema: envelope.schema."""
    element = envelope_to_element(sample_envelope())
    element.set("version", "2")
    data = sign_element(element, sender.key, sender.cert)
    with pytest.raises(EnvelopeError) as info:
        schema.validate(etree.fromstring(data))
    assert info.value.code == "envelope.schema"
