"""The receipt step's transaction: a receipt checked against its delivery, stored, its
delivery moved and the receipt queued (outbox) for the other party, for one or a group."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.envelope.model import Status
from gateway.errors import DocumentRevokedError, IllegalTransitionError, NotFoundError, ReceiptError
from gateway.facade.authz import receipt_party
from gateway.store import audit, changes, dialects, outbox_body
from gateway.store.db import execute
from gateway.store.deliveries import (
    DELIVERY_TABLE,
    SET_STATE,
    Delivery,
    as_delivery,
    audit_passed,
    deliveries_of,
    get_delivery,
    set_state,
)
from gateway.store.dialects import IfNew, prefixed, prefixed_params
from gateway.store.fetch_ack import ack_documents
from gateway.store.headers import MessageHeader, message_header
from gateway.store.models import OutboxEntryRow, ReceiptRow, table, utcnow
from gateway.store.outbox import INSERT_OUTBOX, OUTBOX_COLUMNS, RECEIPTS, outbox_values
from gateway.store.prepared import Prepared, insert_of
from gateway.store.records import VerifiedReceiptLike
from gateway.store.revocation import close_revoked_originals
from gateway.store.rules import DeliveryRules

_RECEIPT_EXISTS = Prepared(
    select(ReceiptRow.receipt_id).where(ReceiptRow.receipt_id == bindparam("rid"))
)
_RECEIPT_COLUMNS = [
    "receipt_id",
    "message_id",
    "recipient",
    "status_code",
    "status_name",
    "reason",
    "issuer",
    "at",
    "claimed_at",
    "receipt_xml",
    "digest",
    "person",
]
_RECEIPT_IF_NEW = IfNew(ReceiptRow, _RECEIPT_COLUMNS, ["receipt_id"], ["receipt_id"])
#: PostgreSQL: the delivery of ``(:mid, :unit)`` locked, and whether receipt ``:rid`` is
#: stored already (``seen``), in one statement (run with one parameter set per receipt).
_DELIVERY_AND_RECEIPT = Prepared(
    select(
        DELIVERY_TABLE.c.id,
        DELIVERY_TABLE.c.message_id,
        DELIVERY_TABLE.c.recipient,
        DELIVERY_TABLE.c.state,
        bindparam("rid", type_=String).label("asked"),
        select(ReceiptRow.receipt_id)
        .where(ReceiptRow.receipt_id == bindparam("rid"))
        .scalar_subquery()
        .label("seen"),
    )
    .where(
        DELIVERY_TABLE.c.message_id == bindparam("mid"),
        DELIVERY_TABLE.c.recipient == bindparam("unit"),
    )
    .with_for_update(of=DELIVERY_TABLE)
)
#: PostgreSQL: a stored receipt's three writes (its row, its outbox row, its delivery's new
#: state) as one statement: one round trip for every receipt of a group.
_RECEIPT_WRITES = Prepared(
    update(DELIVERY_TABLE)
    .where(DELIVERY_TABLE.c.id == bindparam("b_id"))
    .values(state=bindparam("b_state"), updated_at=bindparam("b_at"))
    .add_cte(
        prefixed(ReceiptRow, "r_", _RECEIPT_COLUMNS).cte("new_receipt"),
        prefixed(OutboxEntryRow, "o_", OUTBOX_COLUMNS).cte("new_outbox"),
    )
)
_RECEIPTS = table(ReceiptRow)
_INSERT_RECEIPT = insert_of(_RECEIPTS, _RECEIPT_COLUMNS)


def _checked_receipt(
    rules: DeliveryRules,
    r: Any,
    message: MessageHeader,
    state: str,
    found: changes.Changes,
    answered: bool = True,
) -> tuple[str, str, str]:
    """``(issuer, new state, party it goes to)`` for receipt ``r`` on a delivery in
    ``state``; ``receipt.digest_mismatch``, ``receipt.wrong_party``,
    ``receipt.document_revoked`` or ``receipt.illegal_transition``."""
    if r.envelope_digest and r.envelope_digest != message.envelope_digest:
        raise ReceiptError(
            "the receipt answers another envelope",
            code="receipt.digest_mismatch",
            message_id=message.id,
        )
    recall = r.status is Status.RECALL_REQUESTED
    expected = receipt_party(r, message.sender)
    issuer = r.issuer or expected
    if issuer != expected:
        raise ReceiptError(
            f"{issuer} may not post status {r.status.code} here",
            code="receipt.wrong_party",
            message_id=message.id,
        )
    changes.check_status_allowed(found, message.id, r.status.code)
    changing = found.answers_change(message.id)
    new = rules.next_state(state, r.status, answers_change=changing, answered=answered)
    return issuer, new, r.recipient if recall else message.sender


async def _answered(
    session: AsyncSession, rules: DeliveryRules, message_id: str, recipient: str, state: str
) -> bool:
    """Whether the recipient has answered the delivery (01-06) already; read only in a
    take-back state, the one state that does not tell."""
    if state not in rules.recall_states:
        return True
    query = (
        select(ReceiptRow.receipt_id)
        .where(
            ReceiptRow.message_id == message_id,
            ReceiptRow.recipient == recipient,
            ReceiptRow.status_code.in_(rules.answer_codes),
        )
        .limit(1)
    )
    return (await session.execute(query)).first() is not None


def _receipt_rows(
    verified: VerifiedReceiptLike, issuer: str, target: str, at: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The receipts row and the outbox row (to ``target``) of a receipt being stored;
    ``at`` is the hub's time of receipt (the signed time goes beside it, ``claimed_at``)."""
    r = verified.receipt
    rid, mid = str(r.receipt_id), str(r.message_id)
    receipt = {
        "receipt_id": rid,
        "message_id": mid,
        "recipient": r.recipient,
        "status_code": r.status.code,
        "status_name": r.status.label,
        "reason": r.reason,
        "issuer": issuer,
        "at": at,
        "claimed_at": r.timestamp,
        "receipt_xml": verified.xml,
        "digest": verified.digest,
        "person": acting_person(verified),
    }
    return receipt, outbox_values(RECEIPTS, target, mid, outbox_body.receipt(rid, mid, target))


def acting_person(verified: VerifiedReceiptLike) -> str | None:
    """The clerk a receipt the hub sealed was made for (``person``, set only on the hub's
    own :class:`~gateway.pipeline.receipt.SealedReceipt`), else None."""
    person = getattr(verified, "person", None)
    return person if isinstance(person, str) else None


def _receipt_detail(r: Any, old: str, new: str) -> dict[str, Any]:
    return {
        "receipt_id": str(r.receipt_id),
        "status": r.status.code,
        "from": old,
        "to": new,
        "reason": r.reason,
    }


async def insert_receipt(
    session: AsyncSession,
    verified: VerifiedReceiptLike,
    known: MessageHeader | None = None,
    *,
    rules: DeliveryRules,
) -> bool:
    """Store a receipt, move its delivery (by ``rules``), queue it for the other party;
    ``False`` (and nothing changed) when a receipt with this id is stored already."""
    r = verified.receipt
    rid = str(r.receipt_id)
    message = await message_header(session, str(r.message_id), known)
    delivery = await get_delivery(session, message.id, r.recipient)
    found = await changes.load_changes(session, [message.id])
    answered = await _answered(session, rules, message.id, r.recipient, delivery.state)
    try:
        issuer, new, target = _checked_receipt(rules, r, message, delivery.state, found, answered)
    except (IllegalTransitionError, DocumentRevokedError):
        # the same receipt again (it moved the delivery on the first time): no error
        if (await execute(session, _RECEIPT_EXISTS, {"rid": rid})).first() is not None:
            return False
        raise
    receipt, outbox = _receipt_rows(verified, issuer, target, utcnow())
    if (await execute(session, _RECEIPT_IF_NEW.on(dialects.of(session)), receipt)).first() is None:
        return False
    await set_state(session, delivery, new)
    await execute(session, INSERT_OUTBOX, outbox)
    await audit_passed(session, message.id, r.recipient, delivery.state, new)
    detail = _receipt_detail(r, delivery.state, new)
    await audit.append(session, issuer, "receipt.added", message.id, r.recipient, detail)
    await close_revoked_originals(session, found, [(message.id, r.recipient, r.status.code)], rules)
    return True


#: One receipt for :func:`add_receipts`: the receipt, the unit whose document it also
#: acks (or None), the message header if known.
ReceiptWrite = tuple[VerifiedReceiptLike, "str | None", "MessageHeader | None"]


async def add_receipts(
    session: AsyncSession, items: Sequence[ReceiptWrite], *, rules: DeliveryRules
) -> list[tuple[str, bool]]:
    """:func:`insert_receipt` (+ :func:`ack_document`) for many receipts in a few
    statements; ``(receipt id, created)`` per item. Receipts of one delivery chain in
    order; any refused receipt raises (the group then runs each write alone)."""
    headers: dict[str, MessageHeader] = {}
    for verified, _ack, known in items:
        mid = str(verified.receipt.message_id)
        if mid not in headers:
            headers[mid] = await message_header(session, mid, known)
    keys = [(str(v.receipt.message_id), v.receipt.recipient) for v, _a, _k in items]
    rids = [str(v.receipt.receipt_id) for v, _a, _k in items]
    in_one = dialects.of(session).combined_writes
    if in_one:
        deliveries, seen = await _deliveries_and_receipts(session, keys, rids)
    else:
        deliveries = await deliveries_of(session, keys)
        asked = [{"rid": rid} for rid in dict.fromkeys(rids)]
        seen = {row.receipt_id for row in await execute(session, _RECEIPT_EXISTS, asked)}
    state = {key: d.state for key, d in deliveries.items()}
    found = await changes.load_changes(session, list(headers))
    now = utcnow()
    receipts: list[dict[str, Any]] = []
    outbox, results, details = [], [], []
    answered: dict[tuple[str, str], bool] = {}
    for (verified, _ack, _known), key, rid in zip(items, keys, rids, strict=True):
        if rid in seen:
            results.append((rid, False))
            continue
        if key not in deliveries:
            raise NotFoundError(
                f"message is not addressed to {key[1]}", code="message.not_found", message_id=key[0]
            )
        r = verified.receipt
        if key not in answered:
            answered[key] = await _answered(session, rules, key[0], key[1], state[key])
        checked = _checked_receipt(rules, r, headers[key[0]], state[key], found, answered[key])
        issuer, new, target = checked
        answered[key] = answered[key] or r.status.code in rules.answer_codes
        details.append((issuer, key, _receipt_detail(r, state[key], new)))
        state[key] = new
        seen.add(rid)
        # one microsecond apart: receipts of one delivery keep the order they came in
        at = now + timedelta(microseconds=len(receipts))
        receipt, queued = _receipt_rows(verified, issuer, target, at)
        receipts.append(receipt)
        outbox.append(queued)
        results.append((rid, True))
    if receipts:
        if in_one:
            writes = [
                _receipt_writes(receipt, queued, deliveries[key].id, detail["to"], now)
                for receipt, queued, (_issuer, key, detail) in zip(
                    receipts, outbox, details, strict=True
                )
            ]
            await execute(session, _RECEIPT_WRITES, writes)
        else:
            await execute(session, _INSERT_RECEIPT, receipts)
            await execute(session, INSERT_OUTBOX, outbox)
            changed = {key for _issuer, key, _detail in details}
            moved = [
                {"b_id": d.id, "b_state": state[key], "b_at": now}
                for key, d in deliveries.items()
                if key in changed
            ]
            await execute(session, SET_STATE, moved)
        for issuer, (mid, recipient), detail in details:
            await audit_passed(session, mid, recipient, detail["from"], detail["to"])
            await audit.append(session, issuer, "receipt.added", mid, recipient, detail)
        answers = [(mid, recipient, d["status"]) for _i, (mid, recipient), d in details]
        await close_revoked_originals(session, found, answers, rules)
    acks = list(
        dict.fromkeys((a, m) for (_v, a, _k), (m, _r) in zip(items, keys, strict=True) if a)
    )
    if acks:
        await ack_documents(session, acks)
    return results


async def _deliveries_and_receipts(
    session: AsyncSession, keys: Sequence[tuple[str, str]], rids: Sequence[str]
) -> tuple[dict[tuple[str, str], Delivery], set[str]]:
    """PostgreSQL: the deliveries of ``(message id, recipient)`` keys (locked) and which of
    the receipt ids ``rids`` are stored already, in one round trip. (A stored receipt's
    delivery exists, so a missing delivery never hides a stored receipt.)"""
    pairs = zip(keys, rids, strict=True)
    wanted = [{"mid": mid, "unit": unit, "rid": rid} for (mid, unit), rid in pairs]
    rows = await execute(session, _DELIVERY_AND_RECEIPT, wanted)
    deliveries, seen = {}, set()
    for row in rows:
        deliveries[(row.message_id, row.recipient)] = as_delivery(row)
        if row.seen is not None:
            seen.add(row.asked)
    return deliveries, seen


def _receipt_writes(
    receipt: dict[str, Any], queued: dict[str, Any], delivery: int, state: str, now: datetime
) -> dict[str, Any]:
    """The parameters of ``_RECEIPT_WRITES`` for one receipt."""
    return {
        "b_id": delivery,
        "b_state": state,
        "b_at": now,
        **prefixed_params(r=receipt, o=queued),
    }
