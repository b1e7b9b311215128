"""One delivery's receipts reach a mailbox in the order they were issued, on both databases."""

from __future__ import annotations

import pytest

from gateway.envelope.model import Status
from gateway.store.messages import MessageStore
from tests.support.store_builders import make_envelope, make_receipt

pytestmark = pytest.mark.integration

SENDER, R1, R2 = "000.00.00.H01", "000.00.01.H01", "000.00.02.H01"


async def test_a_later_receipt_delivered_first_brings_the_earlier_ones(
    store: MessageStore,
) -> None:
    """06 consumed before 05 and 03: the sender's mailbox still lists 03, 05, 06."""
    verified = make_envelope(SENDER, (R1, R2))
    mid = str(verified.envelope.message_id)
    await store.accept(verified, [R1, R2], SENDER)
    ids = {}
    for status in (Status.ACCEPTED, Status.PROCESSING, Status.COMPLETED):
        ids[status], _ = await store.add_receipt(make_receipt(verified, R1, status))
    other, _ = await store.add_receipt(make_receipt(verified, R2, Status.RECEIVED))

    assert await store.deliver(mid, SENDER, "receipt", ids[Status.COMPLETED]) is True
    assert await store.deliver(mid, SENDER, "receipt", ids[Status.PROCESSING]) is False
    assert await store.deliver(mid, SENDER, "receipt", ids[Status.ACCEPTED]) is False
    assert await store.deliver(mid, SENDER, "receipt", other) is True

    refs = [i.ref for i in await store.pending(SENDER)]
    assert refs == [ids[Status.ACCEPTED], ids[Status.PROCESSING], ids[Status.COMPLETED], other]


async def test_acked_or_foreign_receipts_are_not_brought_again(store: MessageStore) -> None:
    """An earlier receipt already acked stays acked; a recall (to the recipient) stays out."""
    verified = make_envelope(SENDER, (R1,))
    mid = str(verified.envelope.message_id)
    await store.accept(verified, [R1], SENDER)
    first, _ = await store.add_receipt(make_receipt(verified, R1, Status.RECEIVED))
    await store.deliver(mid, SENDER, "receipt", first)
    await store.ack_item(SENDER, (await store.pending(SENDER))[0].item_id)
    recall, _ = await store.add_receipt(
        make_receipt(verified, R1, Status.RECALL_REQUESTED, issuer=SENDER)
    )
    refused, _ = await store.add_receipt(make_receipt(verified, R1, Status.RECALL_REFUSED))

    assert await store.deliver(mid, SENDER, "receipt", refused) is True
    assert [i.ref for i in await store.pending(SENDER)] == [refused]
    assert await store.pending(R1) == []
    assert await store.deliver(mid, R1, "receipt", recall) is True
