"""The web mailbox over HTTP as a clerk's browser drives it: log in, read a page, its
CSRF token, post a form (tests of issue 30 against a running ``lienthong serve``)."""

from __future__ import annotations

import json
import re

import aiohttp
from support.hubproc import HubProcess
from support.livehub import LiveHome, Reply

__all__ = [
    "PDF",
    "C",
    "add_unit_c",
    "blob_files",
    "csrf_of",
    "get_page",
    "login",
    "post",
    "send_pdf",
]  # fmt: skip

C = "000.00.03.H01"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def login(live: LiveHome, hub: HubProcess, who: str) -> dict[str, str]:
    """The session cookie of ``who``'s unit token, as a request header."""
    reply = await live.request(
        hub, "POST", "/mailbox/login", data={"token": live.tokens[who]}, headers={}
    )
    assert reply.status == 303 and reply.headers["Location"] == "/mailbox", reply
    return {"Cookie": reply.headers["Set-Cookie"].split(";", 1)[0]}


async def get_page(live: LiveHome, hub: HubProcess, path: str, cookie: dict[str, str]) -> str:
    reply = await live.request(hub, "GET", path, headers=cookie)
    assert reply.status == 200, (path, reply)
    return reply.body.decode()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def post(
    live: LiveHome, hub: HubProcess, path: str, cookie: dict[str, str], form: dict[str, str]
) -> Reply:
    headers = {**cookie, "Origin": hub.url}
    return await live.request(hub, "POST", path, data=form, headers=headers)


async def send_pdf(live: LiveHome, hub: HubProcess, sender: str, to: str, **meta: str) -> str:
    """A document with a PDF and a text file, submitted through the API."""
    form = aiohttp.FormData()
    metadata = {"to": [to], "subject": "Công văn", **meta}
    form.add_field("metadata", json.dumps(metadata), content_type="application/json")
    form.add_field("file", PDF, filename="công văn.pdf", content_type="application/pdf")
    form.add_field("file", b"<script>x</script>", filename="a.html", content_type="text/html")
    reply = await live.request(hub, "POST", "/api/v1/messages", who=sender, data=form)
    assert reply.status == 202, reply
    return str(reply.json["id"])


def blob_files(live: LiveHome) -> set[str]:
    """The files of the home's blob store (none left by a refused submission)."""
    return {p.name for p in (live.home.root / "blobs").rglob("*") if p.is_file()}


def add_unit_c(live: LiveHome) -> None:
    outs = live.home.cli_batch(
        ("units", "add", C, "--name", "Xã Cát Tiên"), ("tokens", "create", C)
    )
    live.tokens[C] = outs[-1].strip()
