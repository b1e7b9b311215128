"""The ``Idempotency-Key`` header of ``POST /api/v1/messages``: a retry gets the first answer.

Same key and same caller: the same message and the same answer (status and body, with
``Idempotent-Replayed: true``), for at least 24 h. The key names one request: what it
asked is fingerprinted (a signed envelope by its bytes; a multipart submission by its
metadata and its files' names, types and digests, so a client that encodes the same
request again with another multipart boundary still matches), and the same key with
another request is ``422 request.idempotency_conflict``. The store side is
:mod:`gateway.store.idempotency`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import structlog
from aiohttp import web

from gateway.api.context import hub_of, principal_of
from gateway.errors import RequestError

__all__ = [
    "IDEMPOTENCY_KEY",
    "REPLAYED",
    "answer_once",
    "document_fingerprint",
    "envelope_fingerprint",
    "idempotency_key",
    "keyed_message_id",
]

IDEMPOTENCY_KEY: Final = "Idempotency-Key"
REPLAYED: Final = "Idempotent-Replayed"
#: 1 to 200 visible ASCII characters (a UUID, a ULID, a client's own request id…).
_KEY_RE: Final = re.compile(r"^[\x21-\x7e]{1,200}$")

log = structlog.get_logger("gateway.api")


def idempotency_key(request: web.Request) -> str | None:
    """The request's ``Idempotency-Key``, or ``None``; ``request.bad_header`` if malformed."""
    value = request.headers.get(IDEMPOTENCY_KEY)
    if value is None:
        return None
    if not _KEY_RE.fullmatch(value):
        raise RequestError(
            f"{IDEMPOTENCY_KEY} must be 1 to 200 visible ASCII characters",
            code="request.bad_header",
        )
    return value


def envelope_fingerprint(xml: bytes) -> str:
    """What a signed-envelope submission asks: its bytes."""
    return hashlib.sha256(b"envelope\n" + xml).hexdigest()


def document_fingerprint(metadata: dict[str, Any], files: Sequence[Any]) -> str:
    """What a multipart submission asks: its metadata and its files (names, types,
    digests, sizes), whatever multipart boundary carried them."""
    asked = {
        "metadata": metadata,
        "files": [[f.name, f.media_type, f.sha256, f.size] for f in files],
    }
    # ASCII with escapes: any text the JSON parser let through encodes (a lone surrogate too)
    text = json.dumps(asked, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(b"document\n" + text.encode("ascii")).hexdigest()


def keyed_message_id(unit: str | None, key: str, fingerprint: str) -> str:
    """The message id of a keyed multipart submission: the same unit, key and request
    give the same id (a random-looking version 4 UUID: nothing outside names it)."""
    seed = hashlib.sha256(f"{unit}\n{key}\n{fingerprint}".encode()).digest()
    return str(uuid.UUID(bytes=seed[:16], version=4))


async def answer_once(
    request: web.Request,
    key: str | None,
    fingerprint: str,
    run: Callable[[], Awaitable[web.Response]],
) -> tuple[web.Response, bool]:
    """``run()``'s answer, or with a ``key`` the answer stored for it; ``True`` when the
    answer is a replay (nothing ran). A request that fails gives its key back."""
    if key is None:
        return await run(), False
    keys = hub_of(request).idempotency
    unit = principal_of(request).unit or ""
    stored = await keys.begin(unit, key, fingerprint)
    if stored is not None:
        replay = web.Response(
            body=stored.body,
            status=stored.status,
            content_type="application/json",
            headers={REPLAYED: "true"},
        )
        return replay, True
    try:
        response = await run()
    except BaseException:
        await asyncio.shield(keys.abandon(unit, key))
        raise
    body = response.body if isinstance(response.body, bytes) else b""
    try:
        await asyncio.shield(keys.finish(unit, key, response.status, body))
    except Exception as exc:  # the document is accepted: its answer must reach the caller
        # a retry then gets 409 in progress until the reservation is taken over (stale)
        log.warning("idempotency.answer_not_stored", key=key, error=repr(exc))
    return response, False
