"""Unsigned content in a genuine envelope's signature, submitted over HTTP to a running hub.

Issue 21, item 7: an element inserted into ds:KeyInfo of a genuine envelope was accepted
and handed byte for byte to the recipient, though no signature covers KeyInfo.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from support.livehub import A, B, live_home

from gateway.envelope.codec import envelope_from_element
from gateway.envelope.signing import DSIG_NS

pytestmark = [pytest.mark.slow]

DS = f"{{{DSIG_NS}}}"


def _changed(xml: bytes, change: Callable[[etree._Element], object]) -> bytes:
    root = etree.fromstring(xml)
    key_info = root.find(f"{DS}Signature/{DS}KeyInfo")
    assert key_info is not None
    change(key_info)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _note(parent: etree._Element) -> None:
    etree.SubElement(parent, "{urn:x-evil}Note").text = "Chuyển khoản 1.000.000.000 đ"


INJECTIONS: dict[str, Callable[[etree._Element], object]] = {
    "element in KeyInfo": _note,
    "element in X509Data": lambda k: _note(k[0]),
    "ds:KeyName in KeyInfo": lambda k: etree.SubElement(k, f"{DS}KeyName").__setattr__(
        "text", "000.00.00.H01"
    ),
    "attribute on KeyInfo": lambda k: k.set("{urn:x-evil}note", "unsigned"),
    "text in KeyInfo": lambda k: k.__setattr__("text", "unsigned words"),
    "comment in KeyInfo": lambda k: k.append(etree.Comment(" unsigned ")),
}


async def test_unsigned_keyinfo_content_is_refused_and_the_genuine_envelope_relayed(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Each addition to KeyInfo is 422 signature.unsigned_content and stores nothing; the
    genuine envelope is then accepted and the recipient gets exactly its bytes."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        hub = await live.serve()
        genuine = live.signed_envelope(A, subject="Công văn có chữ ký")
        message_id = str(envelope_from_element(etree.fromstring(genuine)).message_id)
        for name, change in INJECTIONS.items():
            reply = await live.submit_xml(hub, A, _changed(genuine, change))
            assert (reply.status, reply.code) == (422, "signature.unsigned_content"), (name, reply)
        status = await live.request(hub, "GET", f"/api/v1/messages/{message_id}/status", who=A)
        assert status.status == 404, status
        assert (await live.request(hub, "GET", "/api/v1/mailbox?wait=0", who=B)).json == {
            "items": []
        }

        accepted = await live.submit_xml(hub, A, genuine)
        assert accepted.status == 202, accepted
        items = (await live.request(hub, "GET", "/api/v1/mailbox?wait=10", who=B)).json["items"]
        assert [i["message_id"] for i in items] == [message_id]
        fetched = await live.request(hub, "GET", f"/api/v1/messages/{message_id}", who=B)
        assert fetched.status == 200 and fetched.body == genuine
