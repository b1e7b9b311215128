"""The outbox body format: written once, read back the same, unchanged on the wire."""

from __future__ import annotations

import pytest

from gateway.store import outbox_body


def test_bodies_keep_their_wire_form() -> None:
    """Bodies already queued before an upgrade read the same: compact JSON, sorted keys."""
    assert outbox_body.document("m-1", "000.00.01.H01") == (
        b'{"kind":"document","message_id":"m-1","recipient":"000.00.01.H01"}'
    )
    assert outbox_body.receipt("r-1", "m-1", "000.00.01.H01") == (
        b'{"kind":"receipt","message_id":"m-1","receipt_id":"r-1","recipient":"000.00.01.H01"}'
    )


def test_what_is_written_reads_back() -> None:
    """decode gives the kind, message, recipient and mailbox reference of each body."""
    doc = outbox_body.decode(outbox_body.document("m-1", "U1"), "U1")
    assert doc == ("document", "m-1", "U1", "m-1")
    rec = outbox_body.decode(outbox_body.receipt("r-1", "m-1", "U2"), "U2")
    assert rec == ("receipt", "m-1", "U2", "r-1")


def test_missing_fields_fall_back_to_the_routing_key_and_the_message() -> None:
    """A body without a recipient is for the routing key; a receipt without an id, its message."""
    body = outbox_body.decode(b'{"kind":"receipt","message_id":"m-1"}', "U3")
    assert (body.recipient, body.ref) == ("U3", "m-1")


@pytest.mark.parametrize("raw", [b"not json", b"[1]", b'{"kind":"document"}', b"7"])
def test_unreadable_bodies_raise(raw: bytes) -> None:
    """Anything that is not a body raises one of the errors the mailbox stage refuses."""
    with pytest.raises((ValueError, KeyError, TypeError)):
        outbox_body.decode(raw, "U1")
