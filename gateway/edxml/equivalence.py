"""When two edXML messages say the same thing, whatever their layout.

Two messages are *equivalent* when their trees are equal after normalising what
producers vary: child order, namespace prefixes (edXML namespace or none), whitespace
around text, empty elements (absent and empty are the same), date formats (every
``…Date`` and ``Timestamp`` leaf compared as a date/time) and attachment encoding (the
decoded bytes' SHA-256 is compared, not the base64 text). Grouping is kept: a ``To``
with one OrganId and another's OrganName is not equivalent to the original.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter

from lxml import etree

from gateway.edxml import _xml
from gateway.edxml.dates import parse_timestamp
from gateway.edxml.model import EDXML_NS
from gateway.errors import EdxmlError

__all__ = ["canonical", "differences", "equivalent"]

_DATE_LEAVES = {"PromulgationDate", "DueDate", "Timestamp"}

#: (name, text, attributes, children) with children sorted: an order-free tree.
Canonical = tuple[str, str, tuple[tuple[str, str], ...], tuple["Canonical", ...]]


def equivalent(a: bytes, b: bytes) -> bool:
    """True when the two edXML messages are equivalent (see the module docstring)."""
    return canonical(_xml.parse(a)) == canonical(_xml.parse(b))


def differences(a: bytes, b: bytes) -> list[str]:
    """Leaf values (``path = value``) found on one side only, prefixed ``-`` or ``+``."""
    left, right = _leaf_counts(_xml.parse(a)), _leaf_counts(_xml.parse(b))
    only_a = [f"- {leaf}" for leaf in sorted((left - right).elements())]
    return only_a + [f"+ {leaf}" for leaf in sorted((right - left).elements())]


def canonical(el: etree._Element) -> Canonical | None:
    """The order-free canonical form of ``el``; ``None`` if it carries nothing."""
    children = tuple(sorted(c for c in map(canonical, _xml.elements(el)) if c is not None))
    value = "" if children else _value(el)
    if not children and not value:
        return None
    attrs = tuple(sorted((str(k), str(v)) for k, v in el.attrib.items()))
    return (_name(el), value, attrs, children)


def _name(el: etree._Element) -> str:
    qname = etree.QName(el)
    return qname.localname if qname.namespace in (None, EDXML_NS) else qname.text


def _value(el: etree._Element) -> str:
    text = (el.text or "").strip()
    name = etree.QName(el).localname
    if not text:
        return ""
    if name == "ContentTransferEncoded":
        data = base64.b64decode("".join(text.split()))
        return "sha256:" + hashlib.sha256(data).hexdigest()
    if name in _DATE_LEAVES:
        try:
            return parse_timestamp(text).isoformat()
        except EdxmlError:
            return text
    return text


def _leaf_counts(root: etree._Element) -> Counter[str]:
    counts: Counter[str] = Counter()
    _collect(root, (), counts)
    return counts


def _collect(el: etree._Element, path: tuple[str, ...], counts: Counter[str]) -> None:
    here = (*path, _name(el))
    children = list(_xml.elements(el))
    if not children:
        value = _value(el)
        if value:
            counts["/".join(here) + " = " + value] += 1
        return
    for child in children:
        _collect(child, here, counts)
