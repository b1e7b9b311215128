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

NULLABLE_STR: Final[dict[str, Any]] = {"type": ["string", "null"]}
#: The clerk's account behind a send, an answer or a recall, when the reader may see it.
PERSON: Final[dict[str, Any]] = {
    "person": {**NULLABLE_STR, "description": "the account that acted (null: not shown)"},
    "person_name": {**NULLABLE_STR, "description": "that account's full name"},
}

#: A hand-over of one of a delivery's mailbox items to a successor (docs/operators.md,
#: "Units change"): the document of a retired recipient, or a receipt about this delivery
#: for a retired sender, read by the unit that took the retired one over.
HANDOVER: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["kind", "from", "to", "at"],
    "properties": {
        "kind": {"enum": ["document", "receipt", "notice"]},
        "from": {**STR, "description": "the retired unit the item was addressed to"},
        "to": {**STR, "description": "its successor, who read it"},
        "at": {**STR, "description": "the first read of the item by the successor"},
    },
}

RECEIPT: Final[dict[str, Any]] = obj(
    receipt_id=STR,
    status=STR,
    name=STR,
    at=STR,
    by=STR,
    reason=NULLABLE_STR,
    claimed_at={**NULLABLE_STR, "description": "the time its signer gave it"},
    **PERSON,
)

#: One delivery in the status; the directory-change fields appear only after a change.
RECIPIENT: Final[dict[str, Any]] = obj(
    unit=STR,
    name={**NULLABLE_STR, "description": "the unit's name when the message was sent"},
    state=STR,
    updated_at=STR,
    delivered_by={
        **NULLABLE_STR,
        "description": "the clerk's account that first opened the document in the web "
        "mailbox (null: a token or adapter fetched it, or not shown)",
    },
    delivered_by_name={**NULLABLE_STR, "description": "that account's full name"},
    withdrawn={"type": "boolean", "description": "revoked or replaced before it was fetched"},
    overdue={"type": "array", "items": {"enum": ["received", "completed"]}},
    late={"type": "array", "items": {"enum": ["received", "completed"]}},
    last_seen_at={
        **NULLABLE_STR,
        "description": "when the unit's endpoint last called the hub (to a minute)",
    },
    receipts={"type": "array", "items": RECEIPT},
    forwarded_to={
        **STR,
        "description": "this recipient is retired: the successor that now stands for it",
    },
    addressed_to={
        **STR,
        "description": "the retired code the sender wrote, whose document this unit got",
    },
    note={**STR, "description": "the forwarding in words, e.g. 'addressed to X, forwarded to Y'"},
    handovers={
        "type": "array",
        "items": HANDOVER,
        "description": "this delivery's items handed to a successor, oldest first",
    },
)

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
                    "ref": NULLABLE_STR,
                    "receipt_id": NULLABLE_STR,
                    "sender": STR,
                    "subject": STR,
                    "created_at": STR,
                    "document_kind": {"enum": ["new", "revoke", "update", "replace"]},
                    "refers_to": {"type": ["string", "null"]},
                    "changed_by": {"type": ["string", "null"]},
                    "document_state": DOCUMENT_STATE,
                    "urgency": URGENCY,
                    "handed_over_from": {
                        **STR,
                        "description": "the retired unit this item was addressed to; its "
                        "successor, the caller, reads it (and the hand-over is in the status)",
                    },
                },
            },
        }
    ),
    "Status": obj(
        id=STR,
        sender=STR,
        sender_name={**NULLABLE_STR, "description": "the sender's name when it was sent"},
        subject=STR,
        kind=STR,
        created_at=STR,
        due_date=NULLABLE_STR,
        due_received_at=NULLABLE_STR,
        due_completed_at=NULLABLE_STR,
        refers_to=NULLABLE_STR,
        document_state=DOCUMENT_STATE,
        urgency=URGENCY,
        urgency_name=STR,
        complete={"type": "boolean", "description": "every delivery shown is final"},
        pdf_signatures={
            "type": ["object", "null"],
            "description": "the PDF signature verdicts (docs/evidence.md §1); null: no PDF",
        },
        timestamps={"type": ["object", "null"], "properties": {"stamped": INT, "waiting": INT}},
        changed_by={"type": "array", "items": obj(id=STR, kind=STR, created_at=STR)},
        recipients={"type": "array", "items": RECIPIENT},
        **PERSON,
    ),
    "Ready": obj(
        ready={"type": "boolean"},
        checks={"type": "object", "additionalProperties": {"type": "boolean"}},
        down={"type": "array", "items": STR},
    ),
}
