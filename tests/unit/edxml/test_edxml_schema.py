"""The edXML XSDs: every good sample validates, the malformed one does not."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from edxml_samples import DOCUMENTS, FIXTURES, MALFORMED, STATUSES, sample_id

from gateway.edxml.schema import schema_path, validate_bytes
from gateway.errors import EdxmlError

ROOT = Path(__file__).resolve().parents[3]
THREE_TO = FIXTURES / "truclienthong-example" / "xml" / "dc0bdef0-c7a3-4aaf-b717-777303442973.edxml"


@pytest.mark.parametrize("name", ["edxml.xsd", "edxml-status.xsd", "edxml-common.xsd"])
def test_packaged_copy_matches(name: str) -> None:
    """The XSD shipped in the package is the one in schemas/edxml/."""
    assert schema_path(name).read_bytes() == (ROOT / "schemas" / "edxml" / name).read_bytes()


@pytest.mark.parametrize("path", [*DOCUMENTS, *STATUSES], ids=sample_id)
def test_good_samples_valid(path: Path) -> None:
    """Every good sample validates with xmlschema against its XSD."""
    name = "edxml-status.xsd" if path in STATUSES else "edxml.xsd"
    xmlschema.XMLSchema10(str(schema_path(name))).validate(str(path))
    validate_bytes(path.read_bytes())


def test_malformed_sample_invalid() -> None:
    """The malformed sample is not valid edXML."""
    schema = xmlschema.XMLSchema10(str(schema_path()))
    with pytest.raises((xmlschema.XMLSchemaException, xmlschema.XMLResourceError)):
        schema.validate(str(MALFORMED))
    with pytest.raises(EdxmlError):
        validate_bytes(MALFORMED.read_bytes())


def test_structural_errors_invalid() -> None:
    """Well-formed but wrong (nested From, non-base64 content) fails the XSD: edxml.invalid."""
    nested = THREE_TO.read_bytes().replace(b"<edXML:From>", b"<edXML:From><edXML:From>", 1)
    nested = nested.replace(b"</edXML:From>", b"</edXML:From></edXML:From>", 1)
    placeholder = THREE_TO.read_bytes().replace(
        b'QCVN_102_2016">UEsDB', b'QCVN_102_2016">${x}UEsDB'
    )
    for data in (nested, placeholder):
        with pytest.raises(EdxmlError) as info:
            validate_bytes(data)
        assert info.value.code == "edxml.invalid"
