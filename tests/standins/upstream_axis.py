"""A stand-in for an upstream axis (a national axis or a peer hub) that receives what an
``upstream`` adapter pushes: a real aiohttp server on loopback speaking ``POST
/axis/v1/edocs`` as ``docs/axis-api.md`` describes.

It checks the request signature itself (with :mod:`hmac`, not the adapter's helper),
takes each edXML DocumentId once (a resent document is ``created: false``, as a real axis
answers), and can be told to answer 5xx a few times or a 4xx refusal.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from tests.support.loopback import served_app

SYSTEM_ID = "hub-under-test"
SECRET = "stand-in-upstream-secret-0123456789abcdef"
_DOCUMENT_ID = re.compile(rb"<(?:\w+:)?DocumentId>([^<]+)</(?:\w+:)?DocumentId>")


@dataclass
class StandInUpstream:
    """What the upstream axis took, and how it will answer next."""

    url: str = ""
    documents: dict[str, bytes] = field(default_factory=dict)
    statuses: list[bytes] = field(default_factory=list)
    bad_signatures: int = 0
    fail_with: list[int] = field(default_factory=list)

    def _signed(self, request: web.Request, body: bytes) -> bool:
        h = request.headers
        canonical = "\n".join(
            [
                request.method,
                request.raw_path,
                h.get("X-Axis-Timestamp", ""),
                h.get("X-Axis-Nonce", ""),
                hashlib.sha256(body).hexdigest(),
            ]
        )
        mac = hmac.new(SECRET.encode(), canonical.encode(), hashlib.sha256).hexdigest()
        return h.get("X-Axis-SystemId") == SYSTEM_ID and hmac.compare_digest(
            mac, h.get("X-Axis-Signature", "")
        )

    async def edocs(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not self._signed(request, body):
            self.bad_signatures += 1
            return _error(401, "auth.invalid_signature", "bad signature")
        if self.fail_with:
            status = self.fail_with.pop(0)
            return _error(status, "axis.refused" if status < 500 else "axis.busy", "told to")
        if request.headers.get("X-Axis-MessageType") == "status":
            self.statuses.append(body)
            return web.json_response({"docId": f"status-{len(self.statuses)}", "created": True})
        found = _DOCUMENT_ID.search(body)
        if found is None:
            return _error(422, "edxml.missing_field", "no DocumentId")
        doc_id = found.group(1).decode()
        created = doc_id not in self.documents
        self.documents.setdefault(doc_id, body)
        return web.json_response({"docId": doc_id, "created": created})


def _error(status: int, code: str, message: str) -> web.Response:
    body = json.dumps({"error": {"code": code, "message": message}})
    return web.Response(status=status, text=body, content_type="application/json")


@asynccontextmanager
async def stand_in_upstream() -> AsyncIterator[StandInUpstream]:
    """Run a :class:`StandInUpstream` on 127.0.0.1 (ephemeral port) for the block."""
    upstream = StandInUpstream()
    app = web.Application()
    app.router.add_post("/axis/v1/edocs", upstream.edocs)
    async with served_app(app) as url:
        upstream.url = url.rstrip("/")
        yield upstream
