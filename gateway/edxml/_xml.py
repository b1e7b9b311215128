"""Hardened parsing and namespace-agnostic element helpers shared by reader and mapping.

Parsing goes through :func:`gateway.xmlsafe.parse_xml` (no DTD, no entities, no network,
no huge trees, size and depth limits). XML that is not well-formed becomes
``edxml.malformed``; the security refusals (``xml.dtd``, ``xml.too_large``…) pass through
unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from gateway.edxml.model import EDXML_NS
from gateway.errors import EdxmlError, MalformedXmlError
from gateway.text import nfc
from gateway.xmlsafe import parse_xml

#: An edXML message inlines its attachments, so its size limit is the body limit.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64


def parse(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> etree._Element:
    """Parse untrusted bytes safely; not well-formed → ``EdxmlError(edxml.malformed)``."""
    try:
        return parse_xml(data, max_bytes=max_bytes, max_depth=max_depth)
    except MalformedXmlError as exc:
        raise EdxmlError(exc.message, code="edxml.malformed") from exc


def local(el: etree._Element) -> str | None:
    """The local name of an edXML (or un-namespaced) element; ``None`` for anything else."""
    if not isinstance(el.tag, str):
        return None
    qname = etree.QName(el)
    return qname.localname if qname.namespace in (None, EDXML_NS) else None


def elements(el: etree._Element) -> Iterator[etree._Element]:
    """Child elements (comments and processing instructions skipped)."""
    return (child for child in el if isinstance(child.tag, str))


def text(el: etree._Element) -> str | None:
    """The stripped text of a leaf; ``None`` if empty; a leaf with children is malformed."""
    if any(True for _ in elements(el)):
        raise EdxmlError(
            f"<{etree.QName(el).localname}> must hold text, not elements", code="edxml.malformed"
        )
    value = nfc((el.text or "").strip())
    return value or None


def serialize(el: etree._Element) -> bytes:
    """An element as standalone XML bytes (its namespace declarations included)."""
    return etree.tostring(el, encoding="utf-8", with_tail=False)
