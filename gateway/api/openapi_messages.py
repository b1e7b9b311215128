"""The unit's part of the OpenAPI document: submitting, reading and answering messages,
and the mailbox."""

from __future__ import annotations

from typing import Any, Final

from gateway.api.openapi_parts import (
    AUTH_ERRORS,
    CLEAN,
    ID,
    INT,
    JSON,
    REF_ERROR,
    STR,
    TEXT,
    UNIT_CODE,
    obj,
    ok,
    query,
)
from gateway.envelope.model import Status
from gateway.urgency import Urgency

__all__ = ["MESSAGE_OPERATIONS"]

SUBMIT_METADATA = {
    "type": "object",
    "required": ["to", "subject"],
    "additionalProperties": False,
    "properties": {
        "to": {
            "type": "array",
            "items": UNIT_CODE,
            "minItems": 1,
            "description": "unit or group codes",
        },
        "subject": {**TEXT, "minLength": 1},
        "kind": {"enum": ["new", "revoke", "update", "replace"]},
        "refers_to": {"type": "string", "format": "uuid"},
        **{
            k: TEXT
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
POSTABLE = [s for s in Status if s not in (Status.EXPIRED, Status.FAILED)]

MESSAGE_OPERATIONS: Final[dict[str, dict[str, dict[str, Any]]]] = {
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
                            **obj(
                                metadata=SUBMIT_METADATA,
                                file={
                                    "type": "array",
                                    "items": {"type": "string", "format": "binary"},
                                    "description": "parts with a filename",
                                },
                            ),
                            "required": ["metadata"],
                            "additionalProperties": False,
                        },
                        "encoding": {"metadata": {"contentType": JSON}},
                    },
                },
            },
            "responses": {
                "202": ok("accepted", {"$ref": "#/components/schemas/Accepted"}),
                "400": REF_ERROR,
                "409": REF_ERROR,
                "413": REF_ERROR,
                "415": REF_ERROR,
                "422": REF_ERROR,
                "507": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
        "get": {
            "summary": "Search messages (operators), paginated by cursor",
            "parameters": [
                query(
                    "unit",
                    STR,
                    "sender or recipient: a unit code, or part of a unit's name (no case, "
                    "no diacritics: `xin cai` finds `UBND xã Xín Cái`)",
                ),
                query("state", STR, "delivery state"),
                query("since", {"type": "string", "format": "date-time"}, "created at or after"),
                query("until", {"type": "string", "format": "date-time"}, "created before"),
                query(
                    "q",
                    STR,
                    "words of the subject, without case or diacritics (`ke hoach` finds "
                    "`KẾ HOẠCH`; đ is d), or a message id",
                ),
                query("cursor", STR, "next_cursor of the previous page"),
                query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "page size"),
                query(
                    "format",
                    {"enum": ["json", "csv", "xlsx"]},
                    "csv (UTF-8 with a BOM) or xlsx: every hit, one column per delivery state",
                ),
            ],
            "responses": {
                "200": ok(
                    "a page",
                    obj(
                        items={"type": "array", "items": {"type": "object"}},
                        next_cursor={"type": ["string", "null"]},
                        units={
                            "type": "array",
                            "description": "with a unit filter: the units it stood for",
                            "items": obj(code=STR, name={"type": ["string", "null"]}),
                        },
                        hint={
                            "type": "string",
                            "description": "the unit filter named no unit of the directory",
                        },
                    ),
                ),
                "400": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}": {
        "get": {
            "summary": "The signed envelope XML (sender, recipients, operators)",
            "parameters": [ID],
            "responses": {
                "200": ok("the envelope", STR, "application/xml"),
                "404": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}/attachments/{name}": {
        "get": {
            "summary": "One attachment, streamed; Range supported",
            "parameters": [
                ID,
                {"name": "name", "in": "path", "required": True, "schema": STR},
                {"name": "Range", "in": "header", "required": False, "schema": STR},
            ],
            "responses": {
                "200": ok(
                    "the file", {"type": "string", "format": "binary"}, "application/octet-stream"
                ),
                "206": ok(
                    "part of the file",
                    {"type": "string", "format": "binary"},
                    "application/octet-stream",
                ),
                "404": REF_ERROR,
                "416": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}/receipts": {
        "post": {
            "summary": "Post a status for a delivery (recipient; 13 from the sender)",
            "parameters": [ID],
            "requestBody": {
                "required": True,
                "content": {
                    JSON: {
                        "schema": {
                            "type": "object",
                            "required": ["status"],
                            "properties": {
                                "status": {
                                    "enum": [v for s in POSTABLE for v in (s.code, s.label)],
                                    "description": "an edXML code or its name",
                                },
                                "reason": CLEAN,
                            },
                        }
                    },
                    "application/xml": {
                        "schema": {"type": "string", "description": "signed receipt"}
                    },
                },
            },
            "responses": {
                "201": ok("stored", obj(receipt_id=STR)),
                "400": REF_ERROR,
                "404": REF_ERROR,
                "409": REF_ERROR,
                "422": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}/recall": {
        "post": {
            "summary": "Take-back request (13) to every recipient not yet completed (sender)",
            "parameters": [ID],
            "requestBody": {"required": False, "content": {JSON: {"schema": obj(reason=CLEAN)}}},
            "responses": {
                "202": ok("requested", obj(receipt_ids={"type": "array", "items": STR})),
                "404": REF_ERROR,
                "409": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}/status": {
        "get": {
            "summary": "The message's timeline (sender, recipients, operators)",
            "description": "Each recipient's state and receipts in time order. Who acted: "
            "a receipt's `by` is the unit; `person` (`person:UNIT/username`) and "
            "`person_name` name the clerk who answered or recalled it in the web mailbox "
            "with their own account, and the top-level `person` the clerk who sent the "
            "document, a recipient's `delivered_by` (`delivered_by_name`) the clerk who "
            "first opened it; null for a unit's token, an adapter or the hub, and for a "
            "clerk of another unit than the reader's (operators see every clerk, a leader "
            "those of its scope).",
            "parameters": [ID],
            "responses": {
                "200": ok("the timeline", {"$ref": "#/components/schemas/Status"}),
                "404": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/messages/{id}/evidence": {
        "get": {
            "summary": "The evidence bundle: a zip that proves the message's journey offline "
            "(docs/evidence.md; sender, recipients, operators)",
            "parameters": [ID],
            "responses": {
                "200": ok("the bundle", {"type": "string", "format": "binary"}, "application/zip"),
                "404": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/mailbox": {
        "get": {
            "summary": "The caller's pending items; long-poll with wait (at most 30 s)",
            "parameters": [
                query("wait", {"type": "number", "minimum": 0, "maximum": 30}, "seconds to wait"),
                query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "most items"),
            ],
            "responses": {
                "200": ok("pending items", {"$ref": "#/components/schemas/Mailbox"}),
                "400": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/mailbox/ack": {
        "post": {
            "summary": "Remove several items from the caller's pending list: all or none",
            "requestBody": {
                "required": True,
                "content": {
                    JSON: {
                        "schema": {
                            **obj(
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
                "200": ok(
                    "removed",
                    obj(item_ids={"type": "array", "items": INT}, acked={"type": "boolean"}),
                ),
                "400": REF_ERROR,
                "404": REF_ERROR,
                "413": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/mailbox/{item_id}/ack": {
        "post": {
            "summary": "Remove an item from the caller's pending list",
            "parameters": [{"name": "item_id", "in": "path", "required": True, "schema": STR}],
            "responses": {
                "200": ok("removed", obj(item_id=STR, acked={"type": "boolean"})),
                "404": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
}
