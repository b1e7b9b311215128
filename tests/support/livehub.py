"""A provisioned home with running ``lienthong serve`` processes, and a small HTTP client.

For the hostile tests that must go through HTTP, tokens and the console of a real hub
process (issue 21): :func:`live_home` makes the home (units A and B with keys and tokens,
an operator token) and :meth:`LiveHome.serve` starts a process on it; several processes
may share one home and database.

Example::

    async with live_home(tmp_path, sqlite_url, "local://") as live:
        hub = await live.serve()
        reply = await live.send(hub, A, subject="Công văn")
        assert reply.status == 202
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from support.hubproc import HubHome, HubProcess

__all__ = ["A", "B", "LiveHome", "Reply", "live_home"]

A, B = "000.00.01.H01", "000.00.02.H01"
UNITS = {A: "Huyện A", B: "Huyện B"}


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers, body bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body as JSON (``{}`` if it is not)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return {}

    @property
    def code(self) -> str | None:
        """The stable error code of an error answer."""
        error = self.json.get("error") if isinstance(self.json, dict) else None
        return error.get("code") if isinstance(error, dict) else None

    def __str__(self) -> str:
        return f"{self.status} {self.body[:300]!r}"


@dataclass
class LiveHome:
    """The home, its tokens (units and ``"operator"``) and the processes serving it."""

    home: HubHome
    processes: list[HubProcess] = field(default_factory=list)

    @property
    def tokens(self) -> dict[str, str]:
        """Bearer tokens by unit code, and ``"operator"``."""
        return self.home.tokens

    async def serve(self, env: Mapping[str, str] | None = None) -> HubProcess:
        """Start one more ``lienthong serve`` on this home (``env``: more environment)."""
        process = self.home.process(env=env)
        self.processes.append(process)
        await process.start()
        return process

    async def request(
        self, hub: HubProcess, method: str, path: str, *, who: str | None = None, **kw: Any
    ) -> Reply:
        """One request to ``hub`` (as ``who``'s token if given); redirects not followed."""
        headers = dict(kw.pop("headers", None) or {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        async with (
            aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
            http.request(
                method, hub.url + path, headers=headers, allow_redirects=False, **kw
            ) as resp,
        ):
            return Reply(resp.status, dict(resp.headers), await resp.read())

    async def send(self, hub: HubProcess, sender: str, *, subject: str, to: str = B) -> Reply:
        """A multipart submission (the hub seals it with the sender's key)."""
        form = aiohttp.FormData()
        metadata = json.dumps({"to": [to], "subject": subject}, ensure_ascii=False)
        form.add_field("metadata", metadata, content_type="application/json")
        form.add_field("file", b"noi dung " * 50, filename="cv.txt", content_type="text/plain")
        return await self.request(hub, "POST", "/api/v1/messages", who=sender, data=form)

    def signed_envelope(self, sender: str, *, subject: str, to: str = B) -> bytes:
        """An envelope built and signed by ``sender``'s key with the offline CLI tools
        (``envelope build``, ``envelope sign``); its file is already in the blob store."""
        work = self.home.root / "work"
        work.mkdir(exist_ok=True)
        n = len(list(work.iterdir()))
        attachment = work / f"file-{n}.txt"
        attachment.write_bytes(f"phu luc {n}".encode())
        unsigned, signed = work / f"unsigned-{n}.xml", work / f"signed-{n}.xml"
        self.home.cli_batch(
            ("envelope", "build", "--from", sender, "--to", to, "--subject", subject,
             "-o", str(unsigned), str(attachment)),
            ("envelope", "sign", "--unit", sender, "-o", str(signed), str(unsigned)),
        )  # fmt: skip
        return signed.read_bytes()

    async def submit_xml(self, hub: HubProcess, sender: str, xml: bytes) -> Reply:
        """POST a signed envelope as ``sender``."""
        headers = {"Content-Type": "application/xml"}
        return await self.request(
            hub, "POST", "/api/v1/messages", who=sender, data=xml, headers=headers
        )


@asynccontextmanager
async def live_home(root: Path, database_url: str, bus_url: str) -> AsyncIterator[LiveHome]:
    """A home with units A and B (keys, tokens) and an operator token; every process
    started on it is stopped on exit."""
    home = HubHome(root / "home", database_url=database_url, bus_url=bus_url)
    home.provision(UNITS, operators={"operator": "ops"})
    live = LiveHome(home)
    try:
        yield live
    finally:
        for process in live.processes:
            await process.stop()
