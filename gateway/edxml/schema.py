"""Check edXML against the XSDs written from the samples (``schemas/edxml/``).

The XSDs ship inside the package (``gateway/edxml/xsd/``), so they are found from an
installed wheel. Validation runs on a tree that the hardened parser produced: xmlschema
never reads the untrusted bytes itself. A mismatch is ``edxml.invalid``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import xmlschema
from lxml import etree

from gateway.edxml import _xml
from gateway.errors import EdxmlError

__all__ = ["DOCUMENT_XSD", "STATUS_XSD", "schema_path", "validate", "validate_bytes"]

DOCUMENT_XSD = "edxml.xsd"
STATUS_XSD = "edxml-status.xsd"


def schema_path(name: str = DOCUMENT_XSD) -> Path:
    """The packaged XSD ``name``: ``edxml.xsd``, ``edxml-status.xsd`` or ``edxml-common.xsd``."""
    return Path(str(resources.files("gateway.edxml") / "xsd" / name))


@cache
def _schema(name: str) -> Any:
    return xmlschema.XMLSchema10(str(schema_path(name)))


def validate(root: etree._Element) -> None:
    """Raise ``edxml.invalid`` unless ``root`` matches the document or status XSD."""
    is_status = bool(root.xpath("//*[local-name()='StatusCode']"))
    schema = _schema(STATUS_XSD if is_status else DOCUMENT_XSD)
    error = next(iter(schema.iter_errors(root)), None)
    if error is not None:
        reason = getattr(error, "reason", None) or str(error).splitlines()[0]
        raise EdxmlError(f"edXML does not match its schema: {reason}", code="edxml.invalid")


def validate_bytes(data: bytes, **limits: int) -> None:
    """Parse ``data`` with the hardened parser, then :func:`validate` it."""
    validate(_xml.parse(data, **limits))
