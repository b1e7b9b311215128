"""Hostile XML: each parser-level attack is refused before any signature work."""

from __future__ import annotations

import pytest
from support.hostile import Refuses

from gateway.xmlsafe import DEFAULT_MAX_BYTES

BODY_START = b"<Envelope "


def _after_declaration(good: bytes, insert: bytes) -> bytes:
    """The signed envelope with ``insert`` placed just before the root element."""
    head, tail = good.split(BODY_START, 1)
    return head + insert + BODY_START + tail


def test_doctype(good: bytes, refuses: Refuses) -> None:
    """A DOCTYPE, even an empty one, is refused: xml.dtd."""
    refuses(_after_declaration(good, b"<!DOCTYPE Envelope>"), "xml.dtd")


def test_external_dtd(good: bytes, refuses: Refuses) -> None:
    """A DOCTYPE pointing at an external DTD is refused (never fetched): xml.dtd."""
    data = _after_declaration(good, b'<!DOCTYPE Envelope SYSTEM "http://127.0.0.1:9/x.dtd">')
    refuses(data, "xml.dtd")


def test_xxe_external_entity(good: bytes, refuses: Refuses) -> None:
    """An external entity reading a local file is refused: xml.entity."""
    dtd = b'<!DOCTYPE Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    data = _after_declaration(good, dtd).replace(b"<Number>12<", b"<Number>&xxe;<")
    error = refuses(data, "xml.entity")
    assert "root:" not in error.message


def test_billion_laughs(refuses: Refuses) -> None:
    """Nested entity expansion (billion laughs) is refused: xml.entity."""
    lol = b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1)) * 10 if i else b"lol")
        for i in range(10)
    )
    data = b"<!DOCTYPE Envelope [" + lol + b"]><Envelope>&lol9;</Envelope>"
    refuses(data, "xml.entity")


def test_quadratic_blowup(refuses: Refuses) -> None:
    """One large entity referenced many times (quadratic blow-up) is refused: xml.entity."""
    data = (
        b'<!DOCTYPE Envelope [<!ENTITY a "'
        + b"x" * 50_000
        + b'">]><Envelope>'
        + b"&a;" * 5_000
        + b"</Envelope>"
    )
    refuses(data, "xml.entity")


def test_utf16_doctype_past_the_byte_prescan(good: bytes, refuses: Refuses) -> None:
    """A DOCTYPE hidden in UTF-16 (no ASCII match for a byte scan) is still refused."""
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Envelope><Envelope/>'
    refuses(text.encode("utf-16"), "xml.dtd")


def test_utf16_billion_laughs_past_the_byte_prescan(refuses: Refuses) -> None:
    """Entity declarations hidden in UTF-16 are found after the (non-expanding) parse."""
    text = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Envelope ['
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<Envelope>&b;</Envelope>"
    )
    refuses(text.encode("utf-16"), "xml.entity")


def test_undeclared_entity_reference(good: bytes, refuses: Refuses) -> None:
    """An entity reference without any declaration is refused: xml.entity."""
    refuses(good.replace(b"<Number>12<", b"<Number>&ent;<"), "xml.entity")


def test_external_schema_location(good: bytes, refuses: Refuses) -> None:
    """xsi:schemaLocation (an external schema reference) is refused: xml.external_reference."""
    data = good.replace(
        b'<Envelope xmlns="urn:lienthong:envelope:1"',
        b'<Envelope xmlns="urn:lienthong:envelope:1" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:schemaLocation="urn:lienthong:envelope:1 http://127.0.0.1:9/evil.xsd"',
    )
    refuses(data, "xml.external_reference")


def test_stylesheet_processing_instruction(good: bytes, refuses: Refuses) -> None:
    """An xml-stylesheet PI is refused: xml.external_reference."""
    data = _after_declaration(good, b'<?xml-stylesheet type="text/xsl" href="http://x/e.xsl"?>')
    refuses(data, "xml.external_reference")


def test_xinclude(good: bytes, refuses: Refuses) -> None:
    """An XInclude element is refused (never resolved): xml.external_reference."""
    data = good.replace(
        b"<Number>12</Number>",
        b'<Number><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
        b'href="file:///etc/passwd" parse="text"/></Number>',
    )
    refuses(data, "xml.external_reference")


def test_over_size_limit(good: bytes, refuses: Refuses) -> None:
    """A document over the size limit is refused before parsing: xml.too_large."""
    data = good + b" " * (DEFAULT_MAX_BYTES - len(good) + 1)
    assert len(data) > DEFAULT_MAX_BYTES
    refuses(data, "xml.too_large")


@pytest.mark.parametrize("depth", [65, 400])
def test_over_depth_limit(refuses: Refuses, depth: int) -> None:
    """A tree deeper than the limit (ours: 64; libxml2's own: 256) is refused: xml.too_deep."""
    data = b"<Envelope>" + b"<a>" * depth + b"</a>" * depth + b"</Envelope>"
    refuses(data, "xml.too_deep")


@pytest.mark.parametrize(
    "data",
    [b"", b"<Envelope>", b"<Envelope></Envelop>", b"\xff\xfe\x00garbage", b"<a/><b/>"],
)
def test_malformed(refuses: Refuses, data: bytes) -> None:
    """Bytes that are not well-formed XML are refused: xml.malformed."""
    refuses(data, "xml.malformed")
