"""The envelope and receipt XSDs, loaded once from the package and applied with lxml.

The XSDs ship inside the package (``gateway/envelope/xsd/``, copies of ``schemas/``) so an
installed wheel finds them. lxml's validator is used on the hot path (it is much faster
than xmlschema, see "Decisions" in ``docs/benchmarks.md``); the tests also check every
sample with xmlschema, an independent XSD 1.0 implementation.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib import resources
from typing import Final

from lxml import etree

from gateway.envelope.model import ENVELOPE_NS, RECEIPT_NS
from gateway.errors import EnvelopeError

__all__ = ["ENVELOPE_XSD", "RECEIPT_XSD", "schema_bytes", "validate"]

ENVELOPE_XSD: Final = "envelope-1.xsd"
RECEIPT_XSD: Final = "receipt-1.xsd"

_BY_ROOT: Final = {
    f"{{{ENVELOPE_NS}}}Envelope": ENVELOPE_XSD,
    f"{{{RECEIPT_NS}}}Receipt": RECEIPT_XSD,
}


def schema_bytes(name: str) -> bytes:
    """The text of one shipped XSD (``envelope-1.xsd`` or ``receipt-1.xsd``)."""
    return resources.files("gateway.envelope").joinpath("xsd", name).read_bytes()


@cache
def _schema_document(name: str) -> etree._Element:
    # Our own trusted file: a plain parser is fine here (no outside input).
    return etree.fromstring(schema_bytes(name), etree.XMLParser(resolve_entities=False))


# lxml validators keep per-run state (their error log): one compiled schema per thread.
_local = threading.local()


def _schema(name: str) -> etree.XMLSchema:
    schemas: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if schemas is None:
        schemas = _local.schemas = {}
    schema = schemas.get(name)
    if schema is None:
        schema = schemas[name] = etree.XMLSchema(_schema_document(name))
    return schema


def validate(root: etree._Element, name: str | None = None) -> None:
    """Check ``root`` against its XSD (chosen by root tag); raise ``envelope.schema``."""
    xsd = name or _BY_ROOT.get(root.tag if isinstance(root.tag, str) else "")
    if xsd is None:
        raise EnvelopeError(f"unexpected root element {root.tag!r}", code="envelope.schema")
    schema = _schema(xsd)
    try:
        schema.assertValid(root)
    except etree.DocumentInvalid as exc:
        raise EnvelopeError(f"{xsd}: {exc}", code="envelope.schema") from exc
