"""The OpenAPI 3.1 document of the HTTP API, served at ``/api/openapi.json``.

Written by hand (so it says what each route means), checked against the router by a test
(every route documented, nothing documented that is not routed; the axis API's routes,
mounted when an axis system is registered, come from :mod:`gateway.api.openapi_axis`).
The error codes come from :data:`gateway.errors.ERROR_CODES`.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from gateway.api.jsonio import json_ok
from gateway.api.openapi_axis import AXIS_OPERATIONS, AXIS_SECURITY_SCHEMES
from gateway.api.openapi_units import UNITS_OPERATIONS
from gateway.envelope.model import UNIT_CODE_MAX, UNIT_CODE_RE, Status
from gateway.errors import ERROR_CODES
from gateway.urgency import Urgency

__all__ = ["OPENAPI_PATH", "openapi_document", "routes"]

OPENAPI_PATH: Final = "/api/openapi.json"
routes = web.RouteTableDef()

_JSON = "application/json"
_REF_ERROR = {"$ref": "#/components/responses/Error"}
_AUTH_ERRORS = {"401": _REF_ERROR, "403": _REF_ERROR, "429": _REF_ERROR, "503": _REF_ERROR}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _ok(
    description: str, schema: dict[str, Any] | None = None, media: str = _JSON
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {media: {"schema": schema}}
    return response


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


_STR = {"type": "string"}
_INT = {"type": "integer"}
#: What a revoke, update or replace made of a document (``gateway.store.changes``).
_DOCUMENT_STATE = {"enum": ["current", "updated", "replaced", "revoked"]}
#: text a caller may send: no C0 control but TAB, LF, CR, no U+FFFE/U+FFFF (request.bad_text)
_CLEAN = {
    "type": "string",
    "pattern": "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]*$",
}
_TEXT = {**_CLEAN, "maxLength": 2000}
_UNIT_CODE = {"type": "string", "pattern": UNIT_CODE_RE.pattern, "maxLength": UNIT_CODE_MAX}
_SUBMIT_METADATA = {
    "type": "object",
    "required": ["to", "subject"],
    "additionalProperties": False,
    "properties": {
        "to": {
            "type": "array",
            "items": _UNIT_CODE,
            "minItems": 1,
            "description": "unit or group codes",
        },
        "subject": {**_TEXT, "minLength": 1},
        "kind": {"enum": ["new", "revoke", "update", "replace"]},
        "refers_to": {"type": "string", "format": "uuid"},
        **{
            k: _TEXT
            for k in (
                "number",
                "notation",
                "doc_type",
                "signer",
                "confidentiality",
                "content",
            )
        },
        "urgency": {
            "enum": [u.code for u in Urgency] + [u.label for u in Urgency],
            "description": "an edXML Priority code or its name (request.bad_urgency)",
        },
        "issued_on": {"type": "string", "format": "date"},
        "due_date": {"type": "string", "format": "date"},
        "expires_in": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 10 * 366 * 86_400,
            "description": "seconds until an undelivered copy expires (90)",
        },
    },
}
#: the statuses a client may post (90 expired and 91 failed are the hub's own)
_POSTABLE = [s for s in Status if s not in (Status.EXPIRED, Status.FAILED)]

_OPERATIONS: Final[dict[str, dict[str, dict[str, Any]]]] = {
    "/api/v1/messages": {
        "post": {
            "summary": "Submit a signed envelope, or metadata and files for the hub to seal",
            "description": (
                "Submitting the same message id again creates nothing new. With an "
                "`Idempotency-Key`, a retry of the same request by the same unit gets the "
                "first answer again (status and body, with `Idempotent-Replayed: true`) for "
                "at least 24 h, and nothing is sent twice; the key with another request is "
                "422 `request.idempotency_conflict`, and while the first request still runs "
                "409 `request.idempotency_in_progress` (retry after `Retry-After`). Only "
                "2xx answers are kept: after a refusal the key serves the next request."
            ),
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,200}$"},
                    "description": "1 to 200 visible ASCII characters, e.g. a UUID; "
                    "scoped to the calling unit (`request.bad_header` when malformed)",
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/xml": {
                        "schema": {"type": "string", "description": "signed envelope"}
                    },
                    "multipart/form-data": {
                        "schema": {
                            **_obj(
                                metadata=_SUBMIT_METADATA,
                                file={
                                    "type": "array",
                                    "items": {"type": "string", "format": "binary"},
                                    "description": "parts with a filename",
                                },
                            ),
                            "required": ["metadata"],
                            "additionalProperties": False,
                        },
                        "encoding": {"metadata": {"contentType": _JSON}},
                    },
                },
            },
            "responses": {
                "202": _ok("accepted", {"$ref": "#/components/schemas/Accepted"}),
                "400": _REF_ERROR,
                "409": _REF_ERROR,
                "413": _REF_ERROR,
                "415": _REF_ERROR,
                "422": _REF_ERROR,
                "507": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
        "get": {
            "summary": "Search messages (operators), paginated by cursor",
            "parameters": [
                _query(
                    "unit",
                    _STR,
                    "sender or recipient: a unit code, or part of a unit's name (no case, "
                    "no diacritics: `xin cai` finds `UBND xã Xín Cái`)",
                ),
                _query("state", _STR, "delivery state"),
                _query("since", {"type": "string", "format": "date-time"}, "created at or after"),
                _query("until", {"type": "string", "format": "date-time"}, "created before"),
                _query(
                    "q",
                    _STR,
                    "words of the subject, without case or diacritics (`ke hoach` finds "
                    "`KẾ HOẠCH`; đ is d), or a message id",
                ),
                _query("cursor", _STR, "next_cursor of the previous page"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "page size"),
                _query(
                    "format",
                    {"enum": ["json", "csv", "xlsx"]},
                    "csv (UTF-8 with a BOM) or xlsx: every hit, one column per delivery state",
                ),
            ],
            "responses": {
                "200": _ok(
                    "a page",
                    _obj(
                        items={"type": "array", "items": {"type": "object"}},
                        next_cursor={"type": ["string", "null"]},
                        units={
                            "type": "array",
                            "description": "with a unit filter: the units it stood for",
                            "items": _obj(code=_STR, name={"type": ["string", "null"]}),
                        },
                        hint={
                            "type": "string",
                            "description": "the unit filter named no unit of the directory",
                        },
                    ),
                ),
                "400": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/units/summary": {
        "get": {
            "summary": "Per-unit counters (operators): sent, received, pending, states, "
            "last_seen_at",
            "parameters": [
                _query("unit", _STR, "one unit only"),
                _query(
                    "not_seen_days",
                    {"type": "integer", "minimum": 0, "maximum": 36500},
                    "only units never seen, or last seen this many days ago or longer",
                ),
            ],
            "responses": {
                "200": _ok("summaries", _obj(items={"type": "array", "items": {"type": "object"}})),
                "400": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/overdue": {
        "get": {
            "summary": "Deliveries past their due date without a final status (operators)",
            "responses": {
                "200": _ok("overdue", _obj(items={"type": "array", "items": {"type": "object"}})),
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/dead-letters": {
        "get": {
            "summary": "What the bus gave up on, with why (operators)",
            "responses": {
                "200": _ok(
                    "dead letters",
                    _obj(
                        items={
                            "type": "array",
                            "items": _obj(
                                id=_STR,
                                message_id={"type": ["string", "null"]},
                                unit=_STR,
                                topic=_STR,
                                reason={"enum": ["rejected", "delivery_limit", "expired"]},
                                error={"type": ["string", "null"]},
                                attempts=_INT,
                            ),
                        }
                    ),
                ),
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/dead-letters/{id}/{action}": {
        "post": {
            "summary": "Retry a dead letter, or discard it for good (operators; audited)",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": _STR},
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": {"enum": ["retry", "discard"]},
                },
            ],
            "responses": {
                "200": _ok("done", _obj(id=_STR, action=_STR, done={"type": "boolean"})),
                "404": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}": {
        "get": {
            "summary": "The signed envelope XML (sender, recipients, operators)",
            "parameters": [_ID],
            "responses": {
                "200": _ok("the envelope", _STR, "application/xml"),
                "404": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}/attachments/{name}": {
        "get": {
            "summary": "One attachment, streamed; Range supported",
            "parameters": [
                _ID,
                {"name": "name", "in": "path", "required": True, "schema": _STR},
                {"name": "Range", "in": "header", "required": False, "schema": _STR},
            ],
            "responses": {
                "200": _ok(
                    "the file", {"type": "string", "format": "binary"}, "application/octet-stream"
                ),
                "206": _ok(
                    "part of the file",
                    {"type": "string", "format": "binary"},
                    "application/octet-stream",
                ),
                "404": _REF_ERROR,
                "416": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}/receipts": {
        "post": {
            "summary": "Post a status for a delivery (recipient; 13 from the sender)",
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {
                    _JSON: {
                        "schema": {
                            "type": "object",
                            "required": ["status"],
                            "properties": {
                                "status": {
                                    "enum": [v for s in _POSTABLE for v in (s.code, s.label)],
                                    "description": "an edXML code or its name",
                                },
                                "reason": _CLEAN,
                            },
                        }
                    },
                    "application/xml": {
                        "schema": {"type": "string", "description": "signed receipt"}
                    },
                },
            },
            "responses": {
                "201": _ok("stored", _obj(receipt_id=_STR)),
                "400": _REF_ERROR,
                "404": _REF_ERROR,
                "409": _REF_ERROR,
                "422": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}/recall": {
        "post": {
            "summary": "Take-back request (13) to every recipient not yet completed (sender)",
            "parameters": [_ID],
            "requestBody": {"required": False, "content": {_JSON: {"schema": _obj(reason=_CLEAN)}}},
            "responses": {
                "202": _ok("requested", _obj(receipt_ids={"type": "array", "items": _STR})),
                "404": _REF_ERROR,
                "409": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}/status": {
        "get": {
            "summary": "The message's timeline (sender, recipients, operators)",
            "parameters": [_ID],
            "responses": {
                "200": _ok("the timeline", {"$ref": "#/components/schemas/Status"}),
                "404": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}/evidence": {
        "get": {
            "summary": "The evidence bundle: a zip that proves the message's journey offline "
            "(docs/evidence.md; sender, recipients, operators)",
            "parameters": [_ID],
            "responses": {
                "200": _ok("the bundle", {"type": "string", "format": "binary"}, "application/zip"),
                "404": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/mailbox": {
        "get": {
            "summary": "The caller's pending items; long-poll with wait (at most 30 s)",
            "parameters": [
                _query("wait", {"type": "number", "minimum": 0, "maximum": 30}, "seconds to wait"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "most items"),
            ],
            "responses": {
                "200": _ok("pending items", {"$ref": "#/components/schemas/Mailbox"}),
                "400": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/mailbox/ack": {
        "post": {
            "summary": "Remove several items from the caller's pending list: all or none",
            "requestBody": {
                "required": True,
                "content": {
                    _JSON: {
                        "schema": {
                            **_obj(
                                item_ids={
                                    "type": "array",
                                    "items": {
                                        "type": ["integer", "string"],
                                        "minimum": 0,
                                        "maximum": 2**31 - 1,
                                        "pattern": "^[0-9]{1,10}$",
                                    },
                                    "minItems": 1,
                                    "maxItems": 500,
                                }
                            ),
                            "required": ["item_ids"],
                        }
                    }
                },
            },
            "responses": {
                "200": _ok(
                    "removed",
                    _obj(item_ids={"type": "array", "items": _INT}, acked={"type": "boolean"}),
                ),
                "400": _REF_ERROR,
                "404": _REF_ERROR,
                "413": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/api/v1/mailbox/{item_id}/ack": {
        "post": {
            "summary": "Remove an item from the caller's pending list",
            "parameters": [{"name": "item_id", "in": "path", "required": True, "schema": _STR}],
            "responses": {
                "200": _ok("removed", _obj(item_id=_STR, acked={"type": "boolean"})),
                "404": _REF_ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/healthz": {
        "get": {
            "summary": "Liveness",
            "security": [],
            "responses": {"200": _ok("alive", _obj(status=_STR))},
        }
    },
    "/readyz": {
        "get": {
            "summary": "Readiness of database, bus, adapters and blob storage",
            "security": [],
            "responses": {
                "200": _ok("ready", {"$ref": "#/components/schemas/Ready"}),
                "503": _ok("not ready", {"$ref": "#/components/schemas/Ready"}),
            },
        },
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics",
            "security": [],
            "responses": {"200": _ok("metrics", _STR, "text/plain")},
        }
    },
    OPENAPI_PATH: {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": _ok("OpenAPI 3.1", {"type": "object"})},
        }
    },
}

#: The edXML Priority code (``gateway.urgency``): 0 thường … 3 hỏa tốc, 4 hỏa tốc hẹn giờ.
_URGENCY = {"enum": ["0", "1", "2", "3", "4"]}
_SCHEMAS: Final[dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": sorted(ERROR_CODES)},
                    "message": _STR,
                    "message_id": _STR,
                },
            },
        },
    },
    "Accepted": {
        "type": "object",
        "required": ["id", "status_url"],
        "properties": {"id": _STR, "status_url": _STR, "created": {"type": "boolean"}},
    },
    "Mailbox": _obj(
        items={
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "item_id": _INT,
                    "message_id": _STR,
                    "kind": {"enum": ["document", "receipt", "notice"]},
                    "sender": _STR,
                    "subject": _STR,
                    "document_kind": {"enum": ["new", "revoke", "update", "replace"]},
                    "refers_to": {"type": ["string", "null"]},
                    "changed_by": {"type": ["string", "null"]},
                    "document_state": _DOCUMENT_STATE,
                    "urgency": _URGENCY,
                },
            },
        }
    ),
    "Status": _obj(
        id=_STR,
        sender=_STR,
        subject=_STR,
        created_at=_STR,
        refers_to={"type": ["string", "null"]},
        document_state=_DOCUMENT_STATE,
        urgency=_URGENCY,
        urgency_name=_STR,
        pdf_signatures={
            "type": ["object", "null"],
            "description": "the PDF signature verdicts (docs/evidence.md §1); null: no PDF",
        },
        timestamps=_obj(stamped=_INT, waiting=_INT),
        changed_by={"type": "array", "items": _obj(id=_STR, kind=_STR, created_at=_STR)},
        recipients={
            "type": "array",
            "items": _obj(
                unit=_STR,
                state=_STR,
                last_seen_at={
                    "type": ["string", "null"],
                    "description": "when the unit's endpoint last called the hub (to a minute)",
                },
                receipts={
                    "type": "array",
                    "items": _obj(
                        status=_STR,
                        name=_STR,
                        at=_STR,
                        by=_STR,
                        reason={"type": ["string", "null"]},
                    ),
                },
            ),
        },
    ),
    "Ready": _obj(
        ready={"type": "boolean"},
        checks={"type": "object", "additionalProperties": {"type": "boolean"}},
        down={"type": "array", "items": _STR},
    ),
}


#: How every request is parsed (``gateway/untrusted.py``, ``docs/untrusted-input.md``).
_UNTRUSTED: Final = (
    "Requests are parsed strictly: header values are UTF-8 text without control characters, "
    "credentials ASCII (`request.bad_header`); JSON nests at most 32 levels, without NaN or "
    "Infinity (`request.bad_json`); text fields hold no control characters (TAB, LF, CR "
    "aside) or lone surrogates (`request.bad_text`); a multipart body needs its boundary, "
    "clean part headers and exactly one metadata part (`request.bad_multipart`, "
    "`request.invalid`); date-times are UTC, clamped to 0001-01-02 .. 9999-12-30; any other "
    "failure while a request is parsed is 400 `request.malformed`, never a 500."
)


#: Who sees what, for every route: the one rule of ``gateway/authz.py``.
_WHO_SEES_WHAT = (
    "Who sees what: a unit token (or client certificate) sees its own mailbox and the "
    "messages it sent or received; an operator token sees every unit; an operator token "
    "created with a scope (`lienthong tokens create --operator NAME --scope CODE`) is a "
    "leader's: it sees only messages whose sender or a recipient lies in the subtree of "
    "CODE, on every route (status, envelope, attachments, search, CSV/XLSX exports, units "
    "summary, overdue, lineage) and in the console; dead letters and directory changes "
    "stay with whole-hub operators (403 `auth.forbidden`). "
)


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Lienthong hub",
            "version": "1",
            "description": "Signed document interchange between units. "
            + _WHO_SEES_WHAT
            + _UNTRUSTED
            + " Error codes: "
            + "; ".join(f"`{code}` {meaning}" for code, meaning in sorted(ERROR_CODES.items())),
        },
        "security": [{"bearer": []}, {"clientCertificate": []}],
        "paths": {**_OPERATIONS, **UNITS_OPERATIONS, **AXIS_OPERATIONS},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "clientCertificate": {
                    "type": "mutualTLS",
                    "description": "a certificate issued by the hub CA",
                },
                **AXIS_SECURITY_SCHEMES,
            },
            "schemas": _SCHEMAS,
            "responses": {
                "Error": {
                    "description": "a typed error with a stable code",
                    "content": {_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        },
    }


@routes.get(OPENAPI_PATH)
async def openapi(request: web.Request) -> web.Response:
    """Serve the OpenAPI document."""
    return json_ok(openapi_document())
