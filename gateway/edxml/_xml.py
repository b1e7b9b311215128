"""Hardened parsing and namespace-agnostic element helpers shared by reader and mapping.

Parsing goes through :func:`gateway.xmlsafe.parse_xml` when it is installed; until then a
private parser with the same options (no DTD, no entities, no network, no huge trees,
size and depth limits) stands in for it. XML that is not well-formed becomes
``edxml.malformed``; the security refusals (``xml.dtd``, ``xml.too_large``…) pass through.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import cast

from lxml import etree

from gateway.edxml.model import EDXML_NS
from gateway.errors import EdxmlError, XmlError

#: An edXML message inlines its attachments, so its size limit is the body limit.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64

_Parse = Callable[..., etree._Element]


def parse(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> etree._Element:
    """Parse untrusted bytes safely; not well-formed → ``EdxmlError(edxml.malformed)``."""
    try:
        return _parser()(data, max_bytes=max_bytes, max_depth=max_depth)
    except XmlError as exc:
        if exc.code != "xml.malformed":
            raise
        raise EdxmlError(exc.message, code="edxml.malformed") from exc


def _parser() -> _Parse:
    try:
        module = importlib.import_module("gateway.xmlsafe")
    except ModuleNotFoundError:
        return _fallback_parse
    return cast(_Parse, module.parse_xml)


def _fallback_parse(data: bytes, *, max_bytes: int, max_depth: int) -> etree._Element:
    if len(data) > max_bytes:
        raise XmlError(f"document larger than {max_bytes} bytes", code="xml.too_large")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlError(str(exc), code="xml.malformed") from exc
    if root.getroottree().docinfo.doctype:
        raise XmlError("DOCTYPE is not allowed", code="xml.dtd")
    if _depth(root) > max_depth:
        raise XmlError(f"deeper than {max_depth} levels", code="xml.too_deep")
    return root


def _depth(root: etree._Element) -> int:
    deepest = 0
    for el in root.iter():
        depth = 0
        node: etree._Element | None = el
        while node is not None:
            depth += 1
            node = node.getparent()
        deepest = max(deepest, depth)
    return deepest


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
    value = (el.text or "").strip()
    return value or None


def serialize(el: etree._Element) -> bytes:
    """An element as standalone XML bytes (its namespace declarations included)."""
    return etree.tostring(el, encoding="utf-8", with_tail=False)
