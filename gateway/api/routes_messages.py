"""Messages: submit, read the envelope and its files, post receipts, recall, search."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from gateway.api.context import hub_of, principal_of
from gateway.api.downloads import attachment_response, check_range, export_response
from gateway.api.idempotency import (
    answer_once,
    document_fingerprint,
    envelope_fingerprint,
    idempotency_key,
    keyed_message_id,
)
from gateway.api.jsonio import json_ok
from gateway.api.limits import MAX_BODY, ByteBudget
from gateway.api.params import (
    datetime_param,
    int_param,
    message_id_param,
    text_param,
)
from gateway.api.uploads import read_body, read_json_object, read_multipart, uploader
from gateway.errors import RequestError
from gateway.store.records import SearchFilters
from gateway.untrusted import clean_text

__all__ = ["routes", "status_url"]

routes = web.RouteTableDef()

_XML_TYPES = frozenset({"application/xml", "text/xml"})
_SEARCH_MAX = 500


def status_url(message_id: str) -> str:
    """Where the sender follows a message."""
    return f"/api/v1/messages/{message_id}/status"


def _xml_budget(request: web.Request) -> ByteBudget:
    hub_limit = hub_of(request).config.hub.max_xml_bytes
    return ByteBudget(min(hub_limit, request.app[MAX_BODY]))


@routes.post("/api/v1/messages")
async def submit(request: web.Request) -> web.Response:
    """Accept a signed envelope (XML) or metadata + files for the hub to seal; with an
    ``Idempotency-Key``, a retry gets the first answer (``gateway/api/idempotency.py``)."""
    hub, principal = hub_of(request), principal_of(request)
    key = idempotency_key(request)
    if request.content_type in _XML_TYPES:
        xml = await read_body(request, _xml_budget(request))

        async def envelope() -> web.Response:
            return _accepted(await hub.submit_envelope(principal, xml))

        return (await answer_once(request, key, envelope_fingerprint(xml), envelope))[0]
    if request.content_type == "multipart/form-data":
        return await _submit_multipart(request, key)
    raise RequestError(
        "submit application/xml or multipart/form-data",
        code="request.unsupported_media_type",
        http_status=415,
    )


def _accepted(result: Any) -> web.Response:
    body = {"id": result.message_id, "status_url": status_url(result.message_id)}
    return json_ok({**body, "created": result.created}, status=202)


async def _submit_multipart(request: web.Request, key: str | None) -> web.Response:
    """Metadata + files; the blobs of a submission that fails (or that only replays an
    earlier answer) are removed again unless a stored message names them."""
    hub, stored = hub_of(request), list[Any]()
    try:
        principal = principal_of(request)
        metadata, files = await read_multipart(
            request, uploader(hub, principal), ByteBudget(request.app[MAX_BODY]), stored
        )

        fingerprint = document_fingerprint(metadata, files)
        # keyed: the message id follows from the request, so a retry that runs again (its
        # first answer was never stored) finds the message instead of sending it twice
        mid = keyed_message_id(principal.unit, key, fingerprint) if key else None

        async def document() -> web.Response:
            return _accepted(await hub.submit_document(principal, metadata, files, message_id=mid))

        response, replayed = await answer_once(request, key, fingerprint, document)
    except BaseException:
        await asyncio.shield(hub.finish_upload(stored, refused=True))
        raise
    await hub.finish_upload(stored, refused=replayed)
    return response


@routes.get("/api/v1/messages")
async def search(request: web.Request) -> web.Response:
    """Operators: messages by unit, state, time and text, a page at a time (or CSV)."""
    fmt = text_param(request, "format")
    if fmt and fmt != "json":
        return await _search_export(request, fmt)
    result = await hub_of(request).search(
        principal_of(request),
        _search_filters(request),
        cursor=text_param(request, "cursor"),
        limit=int_param(request, "limit", default=50, low=1, high=_SEARCH_MAX),
    )
    return json_ok(result)


def _search_filters(request: web.Request) -> SearchFilters:
    return SearchFilters(
        unit=text_param(request, "unit"),
        state=text_param(request, "state"),
        since=datetime_param(request, "since"),
        until=datetime_param(request, "until"),
        text=text_param(request, "q"),
    )


async def _search_export(request: web.Request, fmt: str) -> web.Response:
    hub, p = hub_of(request), principal_of(request)
    return export_response(await hub.search_export(p, _search_filters(request), fmt))


@routes.get("/api/v1/messages/{id}")
async def envelope(request: web.Request) -> web.Response:
    """The signed envelope, byte for byte as accepted."""
    xml = await hub_of(request).envelope_xml(principal_of(request), message_id_param(request))
    return web.Response(body=xml, content_type="application/xml")


@routes.get("/api/v1/messages/{id}/attachments/{name}")
async def attachment(request: web.Request) -> web.StreamResponse:
    """One file of the message, streamed; ``Range`` gives 206 (or 416 when unsatisfiable)."""
    found, path = await hub_of(request).attachment(
        principal_of(request), message_id_param(request), request.match_info["name"]
    )
    check_range(request, found.size)
    return attachment_response(found, path)


@routes.post("/api/v1/messages/{id}/receipts")
async def post_receipt(request: web.Request) -> web.Response:
    """A status from a recipient (JSON ``{"status", "reason"}``) or a signed receipt XML."""
    hub, principal = hub_of(request), principal_of(request)
    message_id = message_id_param(request)
    if request.content_type in _XML_TYPES:
        xml = await read_body(request, _xml_budget(request))
        receipt_id = await hub.post_receipt(principal, message_id, status=None, xml=xml)
    else:
        body = await read_json_object(request)
        status = body.get("status")
        if not isinstance(status, str) or not status:
            raise RequestError("'status' is required", code="request.missing_field")
        reason = _optional_text(body, "reason")
        receipt_id = await hub.post_receipt(principal, message_id, status=status, reason=reason)
    return json_ok({"receipt_id": receipt_id}, status=201)


@routes.post("/api/v1/messages/{id}/recall")
async def recall(request: web.Request) -> web.Response:
    """The sender asks every recipient not yet done to give the document back (13)."""
    body = await read_json_object(request)
    receipt_ids = await hub_of(request).recall(
        principal_of(request), message_id_param(request), _optional_text(body, "reason")
    )
    return json_ok({"receipt_ids": receipt_ids}, status=202)


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return clean_text(value, key)
    raise RequestError(f"{key!r} must be a string", code="request.bad_parameter")
