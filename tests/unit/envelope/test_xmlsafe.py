"""The hardened parser accepts ordinary XML (refusals live in tests/hostile)."""

from __future__ import annotations

from gateway.xmlsafe import parse_xml


def test_parses_plain_xml_with_comments_and_namespaces() -> None:
    """Well-formed XML with a namespace, a comment and character references parses."""
    root = parse_xml(b'<?xml version="1.0"?><a xmlns="urn:x"><b>x &amp; &#233;</b><!--c--></a>')
    assert root.tag == "{urn:x}a"
    assert root[0].text == "x & é"


def test_depth_exactly_at_limit_is_accepted() -> None:
    """A tree exactly ``max_depth`` deep is fine; the limit is inclusive."""
    data = b"<a>" * 5 + b"</a>" * 5
    assert parse_xml(data, max_depth=5).tag == "a"


def test_size_exactly_at_limit_is_accepted() -> None:
    """A document of exactly ``max_bytes`` bytes is fine."""
    data = b"<a>" + b"x" * 93 + b"</a>"
    assert parse_xml(data, max_bytes=len(data)).text == "x" * 93
