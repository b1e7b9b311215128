"""Hardened XML parsing: the only way bytes from outside become an lxml tree.

The parser never loads a DTD, never resolves an entity, never touches the network and keeps
libxml2's huge-tree protections on. On top of that the document is refused outright when it
carries a DOCTYPE (``xml.dtd``), an entity declaration or reference (``xml.entity``), a
processing instruction, an ``xsi:schemaLocation`` or an XInclude element
(``xml.external_reference``), more bytes than allowed (``xml.too_large``, checked before any
parsing) or more nesting than allowed (``xml.too_deep``). Anything else libxml2 cannot read is
``xml.malformed``.
"""

from __future__ import annotations

import threading
from typing import Final

from lxml import etree

from gateway.errors import MalformedXmlError, XmlError

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "parse_xml"]

DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
DEFAULT_MAX_DEPTH: Final = 64

_XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
_XINCLUDE_2001: Final = "http://www.w3.org/2001/XInclude"
_XINCLUDE_2003: Final = "http://www.w3.org/2003/XInclude"
# One pass for everything that points outside the document (or runs code in a reader).
_FIND_EXTERNAL: Final = etree.XPath(
    "//processing-instruction() | //xi1:* | //xi2:*"
    " | //@xsi:schemaLocation | //@xsi:noNamespaceSchemaLocation",
    namespaces={"xsi": _XSI, "xi1": _XINCLUDE_2001, "xi2": _XINCLUDE_2003},
)

# lxml parsers must not be shared between threads: one per thread.
_local = threading.local()


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=False,
            remove_pis=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse_xml(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> etree._Element:
    """Parse ``data`` into the root element, refusing anything unsafe with an ``xml.*`` code."""
    if len(data) > max_bytes:
        raise XmlError(
            f"document is {len(data)} bytes, the limit is {max_bytes}", code="xml.too_large"
        )
    _prescan(data)
    root = _parse(data)
    tree = root.getroottree()
    _check_doctype(tree)
    _check_nodes(root)
    _check_depth(root, max_depth)
    return root


def _prescan(data: bytes) -> None:
    """Refuse the common UTF-8 forms of DTDs and entities before libxml2 sees them."""
    if b"<!ENTITY" in data:
        raise XmlError("entity declarations are not allowed", code="xml.entity")
    if b"<!DOCTYPE" in data:
        raise XmlError("a DOCTYPE is not allowed", code="xml.dtd")


def _parse(data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        text = str(exc)
        if "depth" in text.lower():
            raise XmlError("the element tree is too deep", code="xml.too_deep") from exc
        if "Entity" in text or "entity" in text:
            raise XmlError("entity references are not allowed", code="xml.entity") from exc
        raise MalformedXmlError(f"not well-formed XML: {text}") from exc
    except (ValueError, etree.LxmlError) as exc:
        raise MalformedXmlError(f"not well-formed XML: {exc}") from exc


def _check_doctype(tree: etree._ElementTree) -> None:
    """Backstop for encodings the byte prescan cannot read (UTF-16 and the like)."""
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):  # type: ignore[attr-defined]
        raise XmlError("entity declarations are not allowed", code="xml.entity")
    if dtd is not None or tree.docinfo.doctype or tree.docinfo.system_url:
        raise XmlError("a DOCTYPE is not allowed", code="xml.dtd")


def _check_nodes(root: etree._Element) -> None:
    if next(root.iter(etree.Entity), None) is not None:
        raise XmlError("entity references are not allowed", code="xml.entity")
    found = _FIND_EXTERNAL(root)
    if not isinstance(found, list) or not found:
        return
    first = found[0]
    if isinstance(first, etree._ProcessingInstruction):
        what = f"processing instruction {first.target!r}"
    elif isinstance(first, etree._Element):
        what = "XInclude"
    else:
        what = "xsi:schemaLocation"
    raise XmlError(f"{what} is not allowed", code="xml.external_reference")


def _check_depth(root: etree._Element, max_depth: int) -> None:
    level: list[etree._Element] = [root]
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            raise XmlError(f"the element tree is deeper than {max_depth}", code="xml.too_deep")
        level = [child for element in level for child in element]
