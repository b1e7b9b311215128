"""The message store on both databases: accept, deliver, mailbox, receipts, status."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.envelope.model import Status
from gateway.errors import ConflictError, NotFoundError, ReceiptError, RoutingError
from gateway.store.messages import MessageStore
from gateway.store.models import AuditRow, DeliveryRow, MessageRow, OutboxEntryRow
from gateway.store.records import SearchFilters
from tests.support.store_builders import make_envelope, make_receipt

pytestmark = pytest.mark.integration

SENDER, R1, R2 = "000.00.00.H01", "000.00.01.H01", "000.00.02.H01"


async def count(db: Any, model: Any) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def states_of(store: MessageStore, message_id: str) -> dict[str, str]:
    return {r.unit: r.state for r in (await store.status(message_id)).recipients}


async def accepted(store: MessageStore) -> Any:
    verified = make_envelope(SENDER, (R1, R2))
    await store.accept(verified, [R1, R2], submitted_by=SENDER)
    return verified


async def test_accept_creates_deliveries_and_outbox(store: MessageStore, db: Any) -> None:
    """One message, one delivery and one document outbox row per recipient."""
    verified = make_envelope(SENDER, (R1, R2))
    result = await store.accept(verified, [R1, R2, R1], submitted_by=SENDER)
    mid = str(verified.envelope.message_id)
    assert (result.message_id, result.created) == (mid, True)
    assert await states_of(store, mid) == {R1: "submitted", R2: "submitted"}
    rows = await store.claim_outbox(10, "w1")
    assert [(r.topic, r.routing_key) for r in rows] == [("documents", R1), ("documents", R2)]
    assert json.loads(rows[0].body) == {"message_id": mid, "recipient": R1, "kind": "document"}
    stored = await store.get(mid)
    assert stored.recipients == (R1, R2) and stored.attachments[0].name == "a.pdf"
    assert await store.envelope_xml(mid) == verified.xml


async def test_accept_is_idempotent_and_detects_reused_ids(store: MessageStore, db: Any) -> None:
    """Same id+digest again creates nothing; same id with other bytes is a conflict."""
    verified = await accepted(store)
    again = await store.accept(verified, [R1, R2], submitted_by=SENDER)
    assert again.created is False
    assert (await count(db, MessageRow), await count(db, OutboxEntryRow)) == (1, 2)
    other = make_envelope(SENDER, (R1,), message_id=verified.envelope.message_id, xml=b"<x/>")
    with pytest.raises(ConflictError) as info:
        await store.accept(other, [R1], submitted_by=SENDER)
    assert info.value.code == "message.duplicate_id"
    with pytest.raises(RoutingError):
        await store.accept(make_envelope(), [], submitted_by=SENDER)


async def test_concurrent_accepts_of_one_message_store_it_once(
    store: MessageStore, db: Any
) -> None:
    """Racing submissions of the same envelope: one created, the others see it."""
    verified = make_envelope(SENDER, (R1,))
    results = await asyncio.gather(*(store.accept(verified, [R1], SENDER) for _ in range(4)))
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert (await count(db, MessageRow), await count(db, DeliveryRow)) == (1, 1)


async def test_concurrent_accepts_share_a_group_and_a_reused_id_fails_alone(
    store: MessageStore, db: Any
) -> None:
    """Accepts at once share one insert per table; a reused id with other bytes fails
    alone with ``message.duplicate_id`` and the others are stored whole."""
    first = await accepted(store)
    envelopes = [make_envelope(SENDER, (R1, R2)) for _ in range(5)]
    groups = store.lane.groups
    results = await asyncio.gather(*(store.accept(v, [R1, R2], SENDER) for v in envelopes))
    assert store.lane.groups > groups and all(r.created for r in results)
    reused = make_envelope(SENDER, (R1,), message_id=first.envelope.message_id, xml=b"<y/>")
    more = [make_envelope(SENDER, (R1,)) for _ in range(3)]
    calls = [store.accept(v, [R1], SENDER) for v in more]
    calls.insert(1, store.accept(reused, [R1], SENDER))
    outcome = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(outcome[1], ConflictError) and outcome[1].code == "message.duplicate_id"
    assert [r.created for r in outcome if not isinstance(r, BaseException)] == [True] * 3
    counts = (await count(db, MessageRow), await count(db, DeliveryRow))
    assert counts == (1 + 5 + 3, 2 + 10 + 3)
    assert (await store.get(str(more[2].envelope.message_id))).recipients == (R1,)


async def test_transport_states_and_idempotent_deliver(store: MessageStore) -> None:
    """published → queued; deliver once only; fetch → delivered; ack clears the mailbox."""
    verified = await accepted(store)
    mid = str(verified.envelope.message_id)
    rows = await store.claim_outbox(10, "w1")
    await store.mark_published([r.id for r in rows])
    assert await states_of(store, mid) == {R1: "queued", R2: "queued"}
    assert await store.deliver(mid, R1) is True
    assert await store.deliver(mid, R1) is False  # redelivery from the bus
    items = await store.pending(R1)
    assert [(i.kind, i.message_id, i.sender, i.subject) for i in items] == [
        ("document", mid, SENDER, "Công văn số 12")
    ]
    await store.mark_fetched(mid, R1)
    assert (await states_of(store, mid))[R1] == "delivered"
    await store.ack_item(R1, items[0].item_id)
    await store.ack_item(R1, items[0].item_id)  # idempotent
    assert await store.pending(R1) == []
    with pytest.raises(NotFoundError) as info:
        await store.ack_item(R2, items[0].item_id)  # not R2's item
    assert info.value.code == "mailbox.item_not_found"
    with pytest.raises(NotFoundError):
        await store.deliver(mid, "000.09.09.H09")  # not a recipient


async def test_receipts_follow_the_state_machine(store: MessageStore) -> None:
    """Legal statuses move the delivery and queue a receipt to the sender; illegal ones fail."""
    verified = await accepted(store)
    mid = str(verified.envelope.message_id)
    await store.claim_outbox(10, "w1")
    rid, created = await store.add_receipt(make_receipt(verified, R1, Status.RECEIVED))
    assert created is True
    await store.add_receipt(make_receipt(verified, R1, Status.ACCEPTED))
    assert (await states_of(store, mid))[R1] == "accepted"
    with pytest.raises(ReceiptError) as info:
        await store.add_receipt(make_receipt(verified, R1, Status.RECEIVED))  # backwards
    assert info.value.code == "receipt.illegal_transition"
    with pytest.raises(ReceiptError) as info:
        await store.add_receipt(make_receipt(verified, R1, Status.REJECTED))  # too late
    assert info.value.code == "receipt.illegal_transition"
    receipts_out = await store.claim_outbox(10, "w1")
    assert [(r.topic, r.routing_key) for r in receipts_out] == [("receipts", SENDER)] * 2
    assert json.loads(receipts_out[0].body) == {
        "receipt_id": rid,
        "message_id": mid,
        "recipient": SENDER,
        "kind": "receipt",
    }
    timeline = (await store.status(mid)).to_json()["recipients"][0]
    assert [(r["status"], r["name"], r["by"]) for r in timeline["receipts"]] == [
        ("01", "received", R1),
        ("03", "accepted", R1),
    ]


async def test_concurrent_receipts_share_a_group_and_chain_in_order(
    store: MessageStore, db: Any
) -> None:
    """Receipts posted at once share a transaction: a delivery's statuses chain in arrival
    order, a repeated id counts once, documents are acked, a refused one fails alone."""
    verified = [await accepted(store) for _ in range(4)]
    for v in verified:
        await store.deliver(str(v.envelope.message_id), R1)
    first = [make_receipt(v, R1, Status.RECEIVED) for v in verified]
    chained = make_receipt(verified[0], R1, Status.ACCEPTED)
    refused = make_receipt(verified[1], R1, Status.REJECTED, issuer=SENDER)
    groups = store.lane.groups
    calls = [store.add_receipt(r, ack_document=R1) for r in first]
    results = await asyncio.gather(*calls, store.add_receipt(chained), store.add_receipt(first[2]))
    assert store.lane.groups > groups
    assert sorted(created for _rid, created in results) == [False] + [True] * 5
    later = make_receipt(verified[3], R1, Status.ACCEPTED)
    outcome = await asyncio.gather(
        store.add_receipt(refused), store.add_receipt(later), return_exceptions=True
    )
    assert isinstance(outcome[0], ReceiptError) and outcome[0].code == "receipt.wrong_party"
    assert outcome[1] == (str(later.receipt.receipt_id), True)
    mids = [str(v.envelope.message_id) for v in verified]
    assert [(await states_of(store, m))[R1] for m in mids] == [
        "accepted",
        "received",
        "received",
        "accepted",
    ]
    assert await store.pending(R1) == []  # every document acked with its first answer
    receipts_out = [r for r in await store.claim_outbox(100, "w1") if r.topic == "receipts"]
    assert len(receipts_out) == 6


async def test_same_receipt_twice_returns_the_original(store: MessageStore, db: Any) -> None:
    """Posting one receipt id again is (id, False) and queues nothing new."""
    verified = await accepted(store)
    receipt = make_receipt(verified, R2, Status.RECEIVED)
    first = await store.add_receipt(receipt)
    before = await count(db, OutboxEntryRow)
    second = await store.add_receipt(receipt)
    assert first == (second[0], True) and second[1] is False
    assert await count(db, OutboxEntryRow) == before


async def test_receipt_parties_and_digest_are_checked(store: MessageStore) -> None:
    """Only the recipient answers (13 only from the sender), about the stored envelope."""
    verified = await accepted(store)
    cases = [
        (make_receipt(verified, R1, Status.RECEIVED, issuer=R2), "receipt.wrong_party"),
        (make_receipt(verified, R1, Status.RECALL_REQUESTED, issuer=R1), "receipt.wrong_party"),
        (make_receipt(verified, R1, Status.RECEIVED, digest="0" * 64), "receipt.digest_mismatch"),
    ]
    for receipt, code in cases:
        with pytest.raises(ReceiptError) as info:
            await store.add_receipt(receipt)
        assert info.value.code == code
    recall = make_receipt(verified, R1, Status.RECALL_REQUESTED, issuer=SENDER)
    await store.add_receipt(recall)
    rid = str(recall.receipt.receipt_id)
    claimed = await store.claim_outbox(10, "w")
    assert [r.routing_key for r in claimed if r.topic == "receipts"] == [R1]  # to recipient
    assert await store.deliver(str(verified.envelope.message_id), R1, "receipt", rid) is True
    item = (await store.pending(R1))[0]
    assert (item.kind, item.ref, item.sender) == ("receipt", rid, SENDER)
    assert (await store.get_receipt(rid)).xml == recall.xml


async def test_search_paginates_and_filters(store: MessageStore) -> None:
    """Search is newest first, cursor-paginated, filtered by unit, state and text."""
    base = datetime(2026, 3, 1, tzinfo=UTC)
    ids = []
    for i in range(5):
        v = make_envelope(
            SENDER,
            (R1,) if i % 2 else (R2,),
            subject=f"Báo cáo {i} 100%",
            created=base + timedelta(minutes=i),
        )
        await store.accept(v, list(v.envelope.recipients), SENDER)
        ids.append(str(v.envelope.message_id))
    first = await store.search(SearchFilters(), limit=2)
    second = await store.search(SearchFilters(), cursor=first.next_cursor, limit=2)
    third = await store.search(SearchFilters(), cursor=second.next_cursor, limit=2)
    seen = [m.id for page in (first, second, third) for m in page.items]
    assert seen == ids[::-1] and third.next_cursor is None
    assert [m.id for m in (await store.search(SearchFilters(unit=R1))).items] == [ids[3], ids[1]]
    assert (await store.search(SearchFilters(text="báo cáo 2"))).items[0].id == ids[2]
    assert (await store.search(SearchFilters(text="_"))).items == ()
    assert len((await store.search(SearchFilters(state="submitted"))).items) == 5
    assert (await store.search(SearchFilters(state="delivered"))).items == ()
    since = await store.search(SearchFilters(since=base + timedelta(minutes=3)))
    assert [m.id for m in since.items] == [ids[4], ids[3]]


async def test_summaries_and_overdue(store: MessageStore, db: Any) -> None:
    """Per-unit counters and the overdue list reflect deliveries and due dates."""
    from gateway.directory import Directory

    directory = Directory(db)
    for code in (SENDER, R1, R2):
        await directory.add(code, code)
    late = make_envelope(SENDER, (R1, R2), due_date=date(2026, 1, 10))
    await store.accept(late, [R1, R2], SENDER)
    await store.add_receipt(make_receipt(late, R2, Status.RECEIVED))
    await store.add_receipt(make_receipt(late, R2, Status.COMPLETED))
    await store.deliver(str(late.envelope.message_id), R1)
    overdue = await store.overdue(today=date(2026, 1, 11))
    assert [(o.recipient, o.state) for o in overdue] == [(R1, "queued")]
    assert await store.overdue(today=date(2026, 1, 10)) == []
    summary = {s.unit: s for s in await store.unit_summaries()}
    assert (summary[SENDER].sent, summary[R1].received, summary[R1].pending_items) == (1, 1, 1)
    assert summary[R2].states == {"completed": 1}


async def test_unknown_message_is_not_found(store: MessageStore) -> None:
    """Status, XML and receipts for an unknown message id are message.not_found."""
    for call in (store.status, store.envelope_xml, store.get):
        with pytest.raises(NotFoundError) as info:
            await call("00000000-0000-0000-0000-000000000000")
        assert info.value.code == "message.not_found"


async def test_batch_fetch_and_ack_by_message_id(store: MessageStore) -> None:
    """mark_fetched_many delivers several documents; ack_document acks one once, by id."""
    first, second = await accepted(store), await accepted(store)
    mids = [str(first.envelope.message_id), str(second.envelope.message_id)]
    await store.mark_published([r.id for r in await store.claim_outbox(10, "w1")])
    for mid in mids:
        await store.deliver(mid, R1)
    await store.mark_fetched_many(R1, [*mids, mids[0]])
    assert [(await states_of(store, m))[R1] for m in mids] == ["delivered", "delivered"]
    assert (await states_of(store, mids[0]))[R2] == "queued"
    assert await store.ack_document(R1, mids[0]) is True
    assert await store.ack_document(R1, mids[0]) is False  # already acked
    assert await store.ack_document(R2, mids[0]) is False  # not in R2's mailbox
    assert [i.message_id for i in await store.pending(R1)] == [mids[1]]


async def test_batched_delivers_and_fetch_marks_count_duplicates_once(
    store: MessageStore, db: Any
) -> None:
    """A group's deliveries and fetch marks run as batches: a duplicate counts once, every
    change is audited once, the states move as they do one by one."""
    mids = [str((await accepted(store)).envelope.message_id) for _ in range(6)]
    groups = store.lane.groups
    calls = [store.deliver(m, unit) for m in mids for unit in (R1, R2)]
    results = await asyncio.gather(*calls, store.deliver(mids[0], R1))
    assert store.lane.groups > groups
    assert sorted(results) == [False] + [True] * 12
    assert len(await store.pending(R1)) == len(await store.pending(R2)) == 6
    await asyncio.gather(*(store.mark_fetched_many(u, mids) for u in (R1, R2)))
    assert [await states_of(store, m) for m in mids] == [{R1: "delivered", R2: "delivered"}] * 6
    async with db.read() as session:
        rows = await session.execute(
            select(AuditRow.action, func.count())
            .where(AuditRow.message_id.in_(mids))
            .group_by(AuditRow.action)
        )
        actions = dict(rows.all())
    assert actions["mailbox.added"] == 12 and actions["delivery.delivered"] == 12


async def test_concurrent_delivers_share_transactions_and_fail_alone(
    store: MessageStore, db: Any
) -> None:
    """Concurrent delivers commit in shared transactions; an unknown message fails alone."""
    mids = [str((await accepted(store)).envelope.message_id) for _ in range(12)]
    together = await asyncio.gather(*(store.deliver(mid, R1) for mid in mids))
    assert together == [True] * 12
    assert store.lane.groups >= 1  # the calls really shared a transaction
    unknown = "00000000-0000-4000-8000-000000000000"
    calls = [store.deliver(mid, R2) for mid in mids]
    calls.insert(5, store.deliver(unknown, R2))
    results = await asyncio.gather(*calls, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], NotFoundError)
    assert [r for r in results if not isinstance(r, BaseException)] == [True] * 12
    assert len(await store.pending(R1)) == len(await store.pending(R2)) == 12
    assert [await store.deliver(mids[0], R1), await store.deliver(mids[0], R2)] == [False] * 2
    await store.mark_fetched_many(R1, mids)
    states = [await states_of(store, m) for m in mids]
    assert {s[R1] for s in states} == {"delivered"} and {s[R2] for s in states} == {"queued"}


async def test_batched_receipt_deliveries_keep_issue_order_and_fail_alone(
    store: MessageStore, db: Any
) -> None:
    """Receipts delivered at once share a batch: handed over late-first they still list in
    issue order, a repeat counts once, an unknown receipt fails alone."""
    one, two = await accepted(store), await accepted(store)
    received = make_receipt(one, R1, Status.RECEIVED)
    accepted_later = make_receipt(one, R1, Status.ACCEPTED)
    other = make_receipt(two, R2, Status.RECEIVED)
    for receipt in (received, accepted_later, other):
        await store.add_receipt(receipt)
    mid1, mid2 = str(one.envelope.message_id), str(two.envelope.message_id)
    rid = {r: str(r.receipt.receipt_id) for r in (received, accepted_later, other)}
    groups = store.lane.groups
    results = await asyncio.gather(
        store.deliver(mid1, SENDER, "receipt", rid[accepted_later]),
        store.deliver(mid1, SENDER, "receipt", rid[received]),
        store.deliver(mid1, SENDER, "receipt", rid[accepted_later]),
        store.deliver(mid2, SENDER, "receipt", rid[other]),
    )
    assert store.lane.groups > groups
    assert results == [True, False, False, True]
    unknown = "00000000-0000-4000-8000-000000000000"
    again = await asyncio.gather(
        store.deliver(mid2, SENDER, "receipt", unknown),
        store.deliver(mid2, SENDER, "receipt", rid[other]),
        return_exceptions=True,
    )
    assert isinstance(again[0], NotFoundError) and again[1] is False
    items = await store.pending(SENDER)
    assert [i.ref for i in items] == [rid[received], rid[accepted_later], rid[other]]
    async with db.read() as session:
        added = await session.execute(
            select(func.count()).where(
                AuditRow.action == "mailbox.added", AuditRow.message_id.in_([mid1, mid2])
            )
        )
        assert added.scalar_one() == 3


async def test_a_fetch_runs_before_the_answers_of_its_group(store: MessageStore, db: Any) -> None:
    """A recipient's fetch mark and its first answer in one group: the fetch is recorded
    first, even when another receipt opened the group (the delivery passes ``delivered``)."""
    one, two = await accepted(store), await accepted(store)
    mid1, mid2 = str(one.envelope.message_id), str(two.envelope.message_id)
    await store.deliver(mid1, R1)
    await store.deliver(mid2, R2)
    groups = store.lane.groups
    await asyncio.gather(
        store.add_receipt(make_receipt(two, R2, Status.RECEIVED), ack_document=R2),
        store.mark_fetched_many(R1, [mid1]),
        store.add_receipt(make_receipt(one, R1, Status.RECEIVED), ack_document=R1),
    )
    assert store.lane.groups > groups
    assert (await states_of(store, mid1))[R1] == "received"
    async with db.read() as session:
        actions = (
            await session.execute(
                select(AuditRow.action)
                .where(AuditRow.message_id == mid1, AuditRow.unit == R1)
                .order_by(AuditRow.seq)
            )
        ).scalars()
        moves = [a for a in actions if a.startswith("delivery.") or a == "receipt.added"]
    assert moves.index("delivery.delivered") < moves.index("receipt.added")


async def test_lazy_marks_wait_for_company_and_an_urgent_write_takes_them(
    store: MessageStore,
) -> None:
    """Lazy fetch marks linger for a partner; an accept arriving meanwhile shares their turn."""
    verified = await accepted(store)
    mid = str(verified.envelope.message_id)
    for unit in (R1, R2):
        await store.deliver(mid, unit, "document", mid)
    store.lane.linger = 5.0  # long enough that only the urgent write can start the group
    groups, writes = store.lane.groups, store.lane.grouped_writes
    marks = [
        asyncio.create_task(store.mark_fetched_many(unit, [mid], lazy=True)) for unit in (R1, R2)
    ]
    await asyncio.sleep(0.2)
    assert not any(m.done() for m in marks)  # still waiting for company
    assert await states_of(store, mid) == {R1: "queued", R2: "queued"}
    other = make_envelope(SENDER, (R1,))
    started = asyncio.get_running_loop().time()
    await store.accept(other, [R1], submitted_by=SENDER)
    await asyncio.gather(*marks)
    assert asyncio.get_running_loop().time() - started < 2.0
    assert (store.lane.groups, store.lane.grouped_writes) == (groups + 1, writes + 3)
    assert await states_of(store, mid) == {R1: "delivered", R2: "delivered"}


async def test_lazy_marks_alone_run_after_the_linger(store: MessageStore) -> None:
    """With nothing else to write, lazy marks still run once the linger is over."""
    verified = await accepted(store)
    mid = str(verified.envelope.message_id)
    await store.deliver(mid, R1, "document", mid)
    store.lane.linger = 0.3
    started = asyncio.get_running_loop().time()
    await store.mark_fetched_many(R1, [mid], lazy=True)
    waited = asyncio.get_running_loop().time() - started
    assert 0.25 <= waited < 3.0
    assert (await states_of(store, mid))[R1] == "delivered"
