"""The body of an outbox row, the message the relay puts on the bus: defined here once.

Compact JSON with sorted keys: ``{"kind": "document", "message_id", "recipient"}`` on topic
``documents`` and ``{"kind": "receipt", "message_id", "receipt_id", "recipient"}`` on topic
``receipts``; the routing key is the recipient unit code. The store writes it
(:func:`document`, :func:`receipt`) in the transaction of the accept or the receipt; the
mailbox stage reads it back (:func:`decode`).
"""

from __future__ import annotations

import json
from typing import NamedTuple

__all__ = ["DOCUMENT", "KINDS", "RECEIPT", "OutboxBody", "decode", "document", "receipt"]

DOCUMENT = "document"
RECEIPT = "receipt"
#: The kinds of mailbox item a body puts into a mailbox.
KINDS = frozenset({DOCUMENT, RECEIPT})


class OutboxBody(NamedTuple):
    """A body read back: which mailbox item it makes, of which message, for whom."""

    kind: str
    message_id: str
    recipient: str
    #: The mailbox item's reference: the receipt id of a receipt, else the message id.
    ref: str


def _encode(**fields: str) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def document(message_id: str, recipient: str) -> bytes:
    """The body that puts document ``message_id`` into ``recipient``'s mailbox."""
    return _encode(message_id=message_id, recipient=recipient, kind=DOCUMENT)


def receipt(receipt_id: str, message_id: str, recipient: str) -> bytes:
    """The body that puts receipt ``receipt_id`` (about ``message_id``) into
    ``recipient``'s mailbox."""
    return _encode(receipt_id=receipt_id, message_id=message_id, recipient=recipient, kind=RECEIPT)


def decode(body: bytes, routing_key: str) -> OutboxBody:
    """A body as written by :func:`document` or :func:`receipt` (a missing recipient is the
    routing key's; a receipt without an id refers to its message); ``ValueError``,
    ``KeyError`` or ``TypeError`` when it is not one. The kind is not checked here."""
    fields = json.loads(body)
    kind = str(fields["kind"])
    message_id = str(fields["message_id"])
    recipient = str(fields.get("recipient") or routing_key)
    ref = str(fields.get("receipt_id") or message_id) if kind == RECEIPT else message_id
    return OutboxBody(kind, message_id, recipient, ref)
