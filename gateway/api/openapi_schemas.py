"""The schemas of the OpenAPI document's components (errors, answers, mailbox, status)."""

from __future__ import annotations

from typing import Any, Final

from gateway.api.openapi_parts import (
    DOCUMENT_STATE,
    INT,
    STR,
    URGENCY,
    obj,
)
from gateway.errors import ERROR_CODES

__all__ = ["SCHEMAS"]

SCHEMAS: Final[dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": sorted(ERROR_CODES)},
                    "message": STR,
                    "message_id": STR,
                },
            },
        },
    },
    "Accepted": {
        "type": "object",
        "required": ["id", "status_url"],
        "properties": {"id": STR, "status_url": STR, "created": {"type": "boolean"}},
    },
    "Mailbox": obj(
        items={
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "item_id": INT,
                    "message_id": STR,
                    "kind": {"enum": ["document", "receipt", "notice"]},
                    "sender": STR,
                    "subject": STR,
                    "document_kind": {"enum": ["new", "revoke", "update", "replace"]},
                    "refers_to": {"type": ["string", "null"]},
                    "changed_by": {"type": ["string", "null"]},
                    "document_state": DOCUMENT_STATE,
                    "urgency": URGENCY,
                },
            },
        }
    ),
    "Status": obj(
        id=STR,
        sender=STR,
        subject=STR,
        created_at=STR,
        refers_to={"type": ["string", "null"]},
        document_state=DOCUMENT_STATE,
        urgency=URGENCY,
        urgency_name=STR,
        pdf_signatures={
            "type": ["object", "null"],
            "description": "the PDF signature verdicts (docs/evidence.md §1); null: no PDF",
        },
        timestamps=obj(stamped=INT, waiting=INT),
        changed_by={"type": "array", "items": obj(id=STR, kind=STR, created_at=STR)},
        recipients={
            "type": "array",
            "items": obj(
                unit=STR,
                state=STR,
                last_seen_at={
                    "type": ["string", "null"],
                    "description": "when the unit's endpoint last called the hub (to a minute)",
                },
                receipts={
                    "type": "array",
                    "items": obj(
                        status=STR,
                        name=STR,
                        at=STR,
                        by=STR,
                        reason={"type": ["string", "null"]},
                    ),
                },
            ),
        },
    ),
    "Ready": obj(
        ready={"type": "boolean"},
        checks={"type": "object", "additionalProperties": {"type": "boolean"}},
        down={"type": "array", "items": STR},
    ),
}
