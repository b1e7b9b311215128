"""The write transactions of the message store (each runs in a session it is given).

Kept apart from :mod:`gateway.store.messages` so that the public methods stay short; every
function here appends its audit entries in the same transaction as its state change.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import String, bindparam, case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import audit
from gateway.authz import receipt_party
from gateway.envelope.model import Status
from gateway.errors import (
    DocumentRevokedError,
    DuplicateIdError,
    IllegalTransitionError,
    NotFoundError,
    ReceiptError,
)
from gateway.pdfsig import store as pdf_verdicts
from gateway.pipeline import states
from gateway.store import changes
from gateway.store.db import execute
from gateway.store.models import (
    AttachmentRow,
    DeliveryRow,
    MailboxItemRow,
    MessageRow,
    OutboxEntryRow,
    ReceiptRow,
    table,
    utcnow,
)
from gateway.store.prepared import Prepared, insert_of
from gateway.store.records import (
    AcceptResult,
    StoredAttachment,
    StoredMessage,
    VerifiedEnvelopeLike,
    VerifiedReceiptLike,
)
from gateway.text import fold, nfc
from gateway.urgency import parse_urgency

DOCUMENTS = "documents"
RECEIPTS = "receipts"

# Statements built once: building and cache-keying a statement per call cost more CPU
# than running it.
_HEADER = Prepared(
    select(
        MessageRow.id,
        MessageRow.sender,
        MessageRow.subject,
        MessageRow.envelope_digest,
        MessageRow.urgency,
    ).where(MessageRow.id == bindparam("mid"))
)
_DELIVERY_TABLE = table(DeliveryRow)
_DELIVERIES = select(
    _DELIVERY_TABLE.c.id,
    _DELIVERY_TABLE.c.message_id,
    _DELIVERY_TABLE.c.recipient,
    _DELIVERY_TABLE.c.state,
)
_ONE_DELIVERY = _DELIVERIES.where(
    _DELIVERY_TABLE.c.message_id == bindparam("mid"),
    _DELIVERY_TABLE.c.recipient == bindparam("unit"),
)
_DELIVERY = Prepared(_ONE_DELIVERY)
_DELIVERY_LOCKED = Prepared(_ONE_DELIVERY.with_for_update())
#: A Core statement on the table (an ORM one run with many rows would be a "bulk
#: update by primary key", which refuses extra WHERE criteria).
_SET_STATE = Prepared(
    update(_DELIVERY_TABLE)
    .where(_DELIVERY_TABLE.c.id == bindparam("b_id"))
    .values(state=bindparam("b_state"), updated_at=bindparam("b_at"))
)


#: The delivery row as it was before an ``UPDATE`` (a self-join: the statement reads it
#: with its snapshot; every writer holds the write lock, see ``Database``).
_OLD = _DELIVERY_TABLE.alias("old")


def _before(target: str, column: Any) -> Any:
    """``column`` holds a transport state before ``target``."""
    earlier = [s for s in states.TRANSPORT_STATES if states.advance_transport(s, target) != s]
    return or_(*(column == state for state in earlier))


def _moving(mid: Any, unit: Any) -> Any:
    """``UPDATE deliveries … FROM deliveries AS old`` for ``(mid, unit)``'s delivery,
    returning it with its old state (``old_state``)."""
    t = _DELIVERY_TABLE
    return (
        update(t)
        .where(t.c.message_id == mid, t.c.recipient == unit, _OLD.c.id == t.c.id)
        .returning(t.c.id, t.c.message_id, t.c.recipient, _OLD.c.state.label("old_state"))
    )


def _advance_to(target: str, mid: Any = None, unit: Any = None) -> Any:
    """PostgreSQL: move the delivery of ``(mid, unit)`` (by default the parameters ``:mid``
    and ``:unit``) to the transport state ``target`` if it is still before it, in one
    statement; returns the rows moved with their old state."""
    mid = bindparam("mid") if mid is None else mid
    unit = bindparam("unit") if unit is None else unit
    return (
        _moving(mid, unit)
        .where(_before(target, _DELIVERY_TABLE.c.state))
        .values(state=target, updated_at=bindparam("at"))
    )


#: :func:`advance_many` on PostgreSQL, by target state.
_ADVANCE = {target: Prepared(_advance_to(target)) for target in (states.QUEUED, states.DELIVERED)}


def _touch_to(target: str) -> Prepared:
    """PostgreSQL: like :func:`_advance_to`, but every delivery of ``(mid, unit)`` comes
    back (with its old state; a delivery already at or past ``target`` is left as it is):
    the read that says it exists and its move in one statement."""
    moves = _before(target, _OLD.c.state)
    at = bindparam("at", type_=_DELIVERY_TABLE.c.updated_at.type)
    return Prepared(
        _moving(bindparam("mid"), bindparam("unit")).values(
            state=case((moves, target), else_=_OLD.c.state),
            updated_at=case((moves, at), else_=_OLD.c.updated_at),
        )
    )


_TOUCH_QUEUED = _touch_to(states.QUEUED)
_RECEIPT_EXISTS = Prepared(
    select(ReceiptRow.receipt_id).where(ReceiptRow.receipt_id == bindparam("rid"))
)
_DIGEST = Prepared(
    select(MessageRow.id, MessageRow.envelope_digest).where(MessageRow.id == bindparam("mid"))
)


def _if_new(make: Any, row: Any, columns: list[str], keys: list[str], returning: list[str]) -> Any:
    t = table(row)
    stmt = make(t).values({name: bindparam(name) for name in columns})
    return Prepared(
        stmt.on_conflict_do_nothing(index_elements=keys).returning(*(t.c[n] for n in returning))
    )


def _by_dialect(
    row: Any, columns: list[str], keys: list[str], returning: list[str]
) -> dict[str, Prepared]:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING``: one statement that inserts a row
    unless its key is there, and says which (SQLite ≥ 3.35 and PostgreSQL). Run with a
    list of rows, it returns the new ones."""
    return {
        "sqlite": _if_new(sqlite.insert, row, columns, keys, returning),
        "postgresql": _if_new(postgresql.insert, row, columns, keys, returning),
    }


_ITEM_KEY = ["unit", "kind", "ref"]
_ITEM_COLUMNS = [*_ITEM_KEY, "message_id", "sender", "subject", "created_at", "urgency"]
_ITEM_IF_NEW = _by_dialect(MailboxItemRow, _ITEM_COLUMNS, _ITEM_KEY, ["item_id", *_ITEM_KEY])
_MESSAGE_COLUMNS = [
    "id",
    "sender",
    "subject",
    "subject_key",
    "kind",
    "refers_to",
    "created_at",
    "expires_at",
    "due_date",
    "urgency",
    "due_received_at",
    "due_completed_at",
    "envelope_digest",
    "envelope_xml",
    "submitted_by",
    "accepted_at",
]
_MESSAGE_IF_NEW = _by_dialect(MessageRow, _MESSAGE_COLUMNS, ["id"], ["id"])
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
]
_OUTBOX_COLUMNS = ["topic", "routing_key", "body", "message_id", "created_at", "attempts"]
_RECEIPT_IF_NEW = _by_dialect(ReceiptRow, _RECEIPT_COLUMNS, ["receipt_id"], ["receipt_id"])
_ITEM_OF_RECEIPT = table(MailboxItemRow).alias("item")
_SAME_DELIVERY = table(ReceiptRow).alias("this")
#: The receipts of the delivery that receipt ``ref`` is about, each with its mailbox
#: item in ``unit``'s mailbox (``None`` when it has none yet): one statement.
_DELIVERY_RECEIPTS = Prepared(
    select(
        ReceiptRow.receipt_id,
        ReceiptRow.message_id,
        ReceiptRow.recipient,
        ReceiptRow.status_code,
        ReceiptRow.issuer,
        ReceiptRow.at,
        _ITEM_OF_RECEIPT.c.item_id,
        # which question the row answers (one run of the statement per receipt asked)
        bindparam("asked", type_=String).label("asked"),
    )
    .join(
        _SAME_DELIVERY,
        (_SAME_DELIVERY.c.message_id == ReceiptRow.message_id)
        & (_SAME_DELIVERY.c.recipient == ReceiptRow.recipient),
    )
    .outerjoin(
        _ITEM_OF_RECEIPT,
        (_ITEM_OF_RECEIPT.c.unit == bindparam("unit"))
        & (_ITEM_OF_RECEIPT.c.kind == "receipt")
        & (_ITEM_OF_RECEIPT.c.ref == ReceiptRow.receipt_id),
    )
    .where(_SAME_DELIVERY.c.receipt_id == bindparam("ref"))
)
_ITEMS = table(MailboxItemRow)
#: PostgreSQL: the delivery of ``(:mid, :unit)`` locked, and whether receipt ``:rid`` is
#: stored already (``seen``), in one statement (run with one parameter set per receipt).
_DELIVERY_AND_RECEIPT = Prepared(
    select(
        _DELIVERY_TABLE.c.id,
        _DELIVERY_TABLE.c.message_id,
        _DELIVERY_TABLE.c.recipient,
        _DELIVERY_TABLE.c.state,
        bindparam("rid", type_=String).label("asked"),
        select(ReceiptRow.receipt_id)
        .where(ReceiptRow.receipt_id == bindparam("rid"))
        .scalar_subquery()
        .label("seen"),
    )
    .where(
        _DELIVERY_TABLE.c.message_id == bindparam("mid"),
        _DELIVERY_TABLE.c.recipient == bindparam("unit"),
    )
    .with_for_update(of=_DELIVERY_TABLE)
)


def _prefixed(row: Any, prefix: str, columns: list[str]) -> Any:
    """The statement of :func:`insert_of` on ``row``'s table with prefixed parameters."""
    return insert_of(table(row), columns, prefix).statement


#: PostgreSQL: a stored receipt's three writes (its row, its outbox row, its delivery's new
#: state) as one statement: one round trip for every receipt of a group.
_RECEIPT_WRITES = Prepared(
    update(_DELIVERY_TABLE)
    .where(_DELIVERY_TABLE.c.id == bindparam("b_id"))
    .values(state=bindparam("b_state"), updated_at=bindparam("b_at"))
    .add_cte(
        _prefixed(ReceiptRow, "r_", _RECEIPT_COLUMNS).cte("new_receipt"),
        _prefixed(OutboxEntryRow, "o_", _OUTBOX_COLUMNS).cte("new_outbox"),
    )
)
_INSERT_ATTACHMENT = insert_of(
    table(AttachmentRow), ["message_id", "name", "media_type", "size", "sha256"]
)
_DELIVERY_COLUMNS = ["message_id", "recipient", "state", "updated_at"]
_INSERT_DELIVERY = insert_of(table(DeliveryRow), _DELIVERY_COLUMNS)
#: PostgreSQL: a new message's delivery to one unit and that delivery's outbox row, as one
#: statement (the delivery in a data-modifying CTE): one round trip for both tables.
_DELIVERY_AND_OUTBOX = Prepared(
    _prefixed(OutboxEntryRow, "o_", _OUTBOX_COLUMNS).add_cte(
        _prefixed(DeliveryRow, "d_", _DELIVERY_COLUMNS).cte("new_delivery")
    )
)
_INSERT_OUTBOX = insert_of(table(OutboxEntryRow), _OUTBOX_COLUMNS)
_RECEIPTS = table(ReceiptRow)
_INSERT_RECEIPT = insert_of(_RECEIPTS, _RECEIPT_COLUMNS)


class MessageHeader(Protocol):
    """The few columns of a message the write paths need (a row of ``_HEADER``)."""

    @property
    def id(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def envelope_digest(self) -> str: ...
    @property
    def urgency(self) -> int: ...


def body(**fields: str) -> bytes:
    """An outbox body: compact, sorted JSON."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


class Digested(Protocol):
    """A stored message's id and envelope digest (a ``MessageRow`` or a row of ``_DIGEST``)."""

    @property
    def id(self) -> str: ...
    @property
    def envelope_digest(self) -> str: ...


class Delivery(NamedTuple):
    """One delivery's key and state (a row of ``_DELIVERY``)."""

    id: int
    message_id: str
    recipient: str
    state: str


def _delivery(row: Any) -> Delivery:
    """A row of ``_DELIVERIES`` as a :class:`Delivery`."""
    return Delivery(row.id, row.message_id, row.recipient, row.state)


def dialect(session: AsyncSession) -> str:
    """``sqlite`` or ``postgresql``: which of the prebuilt dialect statements to run."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def same_message(existing: Digested, digest: str) -> AcceptResult:
    if existing.envelope_digest != digest:
        raise DuplicateIdError(
            "this message id was already used for a different envelope", message_id=existing.id
        )
    return AcceptResult(existing.id, False)


async def existing_message(session: AsyncSession, message_id: str, digest: str) -> AcceptResult:
    """:func:`same_message` for a message id already stored (read back: id and digest)."""
    row = (await execute(session, _DIGEST, {"mid": message_id})).first()
    if row is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    found: Digested = row
    return same_message(found, digest)


async def get_message(session: AsyncSession, message_id: str) -> MessageRow:
    row = await session.get(MessageRow, message_id)
    if row is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    return row


async def message_header(
    session: AsyncSession, message_id: str, known: MessageHeader | None = None
) -> MessageHeader:
    """Id, sender, subject and digest of a message (not its XML); ``message.not_found``.

    ``known``: the header as the caller already has it (accepted messages never change),
    which spares the read.
    """
    if known is not None and known.id == message_id:
        return known
    row = (await execute(session, _HEADER, {"mid": message_id})).first()
    if row is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    header: MessageHeader = row
    return header


def _utc(value: datetime) -> datetime:
    """As :class:`~gateway.store.models.UTCDateTime` gives it back from the database."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _message_rows(
    verified: VerifiedEnvelopeLike, units: list[str], submitted_by: str, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The message row, its attachment rows, delivery rows and outbox rows."""
    env = verified.envelope
    mid = str(env.message_id)
    message = {
        "id": mid,
        "sender": env.sender,
        "subject": nfc(env.document.subject),
        "subject_key": fold(env.document.subject),
        "kind": env.kind.value,
        "refers_to": str(env.refers_to) if env.refers_to else None,
        "created_at": env.created,
        "expires_at": env.expires,
        "due_date": env.document.due_date,
        "urgency": int(parse_urgency(env.document.urgency)),
        "due_received_at": getattr(verified, "due_received_at", None),
        "due_completed_at": getattr(verified, "due_completed_at", None),
        "envelope_digest": verified.digest,
        "envelope_xml": verified.xml,
        "submitted_by": submitted_by,
        "accepted_at": now,
    }
    attachments = [
        {
            "message_id": mid,
            "name": a.name,
            "media_type": a.media_type,
            "size": a.size,
            "sha256": a.sha256,
        }
        for a in env.attachments
    ]
    deliveries = [
        {"message_id": mid, "recipient": u, "state": states.SUBMITTED, "updated_at": now}
        for u in units
    ]
    outbox = [
        outbox_values(DOCUMENTS, u, mid, body(message_id=mid, recipient=u, kind="document"), now)
        for u in units
    ]
    return message, attachments, deliveries, outbox


def _stored(
    verified: VerifiedEnvelopeLike, units: list[str], submitted_by: str, now: datetime
) -> StoredMessage:
    """The message as :func:`~gateway.store.queries.stored_message` would read it back."""
    env = verified.envelope
    return StoredMessage(
        str(env.message_id),
        env.sender,
        env.document.subject,
        env.kind.value,
        str(env.refers_to) if env.refers_to else None,
        _utc(env.created),
        _utc(env.expires) if env.expires else None,
        env.document.due_date,
        verified.digest,
        submitted_by,
        now,
        tuple(units),
        tuple(StoredAttachment(a.name, a.media_type, a.size, a.sha256) for a in env.attachments),
        int(parse_urgency(env.document.urgency)),
    )


async def _audit_accepted(
    session: AsyncSession, verified: VerifiedEnvelopeLike, units: list[str], submitted_by: str
) -> None:
    env = verified.envelope
    detail = {"recipients": units, "digest": verified.digest, "signer": verified.signer_unit}
    await audit.append(
        session, submitted_by, "message.accepted", str(env.message_id), env.sender, detail
    )


async def _insert_rows(session: AsyncSession, rows: list[tuple[Any, ...]]) -> None:
    """The attachment, delivery and outbox rows of messages just inserted (on PostgreSQL
    each delivery with its outbox row, one statement)."""
    attachments = [v for row in rows for v in row[1]]
    if attachments:
        await execute(session, _INSERT_ATTACHMENT, attachments)
    deliveries = [v for row in rows for v in row[2]]
    outbox = [v for row in rows for v in row[3]]
    if not deliveries:
        return
    if dialect(session) == "postgresql":
        pairs = zip(deliveries, outbox, strict=True)
        await execute(session, _DELIVERY_AND_OUTBOX, [_prefixed_params(d=d, o=o) for d, o in pairs])
        return
    await execute(session, _INSERT_DELIVERY, deliveries)
    await execute(session, _INSERT_OUTBOX, outbox)


async def _checked_change(session: AsyncSession, verified: VerifiedEnvelopeLike) -> None:
    """A revoke/update/replace: ``request.bad_reference`` unless it refers to a document
    of its sender (see :mod:`gateway.store.changes`); the original's audit says so."""
    env = verified.envelope
    if env.kind.value not in changes.CHANGING_KINDS:
        return
    mid, original = str(env.message_id), str(env.refers_to) if env.refers_to else None
    await changes.check_reference(session, mid, env.sender, env.kind.value, original)
    detail = {"by": mid, "kind": env.kind.value}
    action = f"document.{changes.CHANGING_KINDS[env.kind.value]}"
    await audit.append(session, f"unit:{env.sender}", action, original, env.sender, detail)


#: One accept for :func:`accept_messages`: the verified envelope, its recipient units, by.
AcceptWrite = tuple[VerifiedEnvelopeLike, list[str], str]


async def accept_messages(
    session: AsyncSession, items: Sequence[AcceptWrite]
) -> list[tuple[AcceptResult, StoredMessage | None]]:
    """Store envelopes: the messages, their attachments, deliveries and outbox rows, one
    insert per table for all of them. Per item the accept result and, when new, the
    message as :func:`~gateway.store.queries.stored_message` reads it back. A reused id
    with another digest raises ``message.duplicate_id`` (in a group, each write then runs
    alone)."""
    now = utcnow()
    rows = [_message_rows(v, units, by, now) for v, units, by in items]
    statement = _MESSAGE_IF_NEW[dialect(session)]
    inserted = {r.id for r in await execute(session, statement, [row[0] for row in rows])}
    new_rows: list[tuple[Any, ...]] = []
    results: list[tuple[AcceptResult, StoredMessage | None]] = []
    for (verified, units, by), row in zip(items, rows, strict=True):
        mid = str(verified.envelope.message_id)
        if mid in inserted:
            inserted.discard(mid)  # a second item with this id is a resubmission
            await _checked_change(session, verified)
            new_rows.append(row)
            await _audit_accepted(session, verified, units, by)
            await pdf_verdicts.insert_report(session, mid, pdf_verdicts.report_of(verified))
            results.append((AcceptResult(mid, True), _stored(verified, units, by, now)))
        else:
            results.append((await existing_message(session, mid, verified.digest), None))
    await _insert_rows(session, new_rows)
    return results


def outbox_values(
    topic: str, recipient: str, message_id: str, body: bytes, now: Any = None
) -> dict[str, Any]:
    """The columns of one outbox row, for ``_INSERT_OUTBOX``."""
    return {
        "topic": topic,
        "routing_key": recipient,
        "body": body,
        "message_id": message_id,
        "created_at": now or utcnow(),
        "attempts": 0,
    }


async def get_delivery(
    session: AsyncSession, message_id: str, recipient: str, *, lock: bool = True
) -> Delivery:
    query = _DELIVERY_LOCKED if lock else _DELIVERY
    params = {"mid": message_id, "unit": recipient}
    row = (await execute(session, query, params)).first()
    if row is None:
        raise NotFoundError(
            f"message is not addressed to {recipient}",
            code="message.not_found",
            message_id=message_id,
        )
    return _delivery(row)


async def set_state(session: AsyncSession, delivery: Delivery, state: str) -> None:
    """Write a delivery's new state (and the time it changed)."""
    await execute(session, _SET_STATE, {"b_id": delivery.id, "b_state": state, "b_at": utcnow()})


async def _deliveries_of(
    session: AsyncSession, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Delivery]:
    """The deliveries of ``(message id, recipient)`` pairs in one round trip (locked on
    PostgreSQL), by pair; pairs without a delivery are absent."""
    wanted = [{"mid": mid, "unit": unit} for mid, unit in dict.fromkeys(pairs)]
    rows = await execute(session, _DELIVERY_LOCKED, wanted) if wanted else []
    return {(r.message_id, r.recipient): _delivery(r) for r in rows}


async def _move(
    session: AsyncSession, moves: list[tuple[Delivery, str]], actor: str | None
) -> None:
    """Write and audit delivery state changes in one batch (``actor`` None: the recipient)."""
    if not moves:
        return
    now = utcnow()
    await execute(
        session, _SET_STATE, [{"b_id": d.id, "b_state": new, "b_at": now} for d, new in moves]
    )
    for d, new in moves:
        detail = {"from": d.state, "to": new}
        who = actor or d.recipient
        await audit.append(session, who, f"delivery.{new}", d.message_id, d.recipient, detail)


async def advance_many(
    session: AsyncSession, pairs: list[tuple[str, str]], target: str, actor: str | None
) -> None:
    """:func:`advance` for several ``(message id, recipient)`` pairs: one read for all, one
    batch of updates for those that move (pairs without a delivery are skipped);
    ``actor`` None: each delivery's recipient."""
    if not pairs:
        return
    if target in _ADVANCE and dialect(session) == "postgresql":
        await _advance_in_one(session, pairs, target, actor)
        return
    rows = (await _deliveries_of(session, pairs)).values()
    moved = [(r, states.advance_transport(r.state, target)) for r in rows]
    await _move(session, [(r, new) for r, new in moved if new != r.state], actor)


async def _advance_in_one(
    session: AsyncSession, pairs: list[tuple[str, str]], target: str, actor: str | None
) -> None:
    """:func:`advance_many` as one ``UPDATE … RETURNING`` per pair, all in one round trip."""
    now = utcnow()
    wanted = [{"mid": mid, "unit": unit, "at": now} for mid, unit in dict.fromkeys(pairs)]
    await _audit_moved(session, await execute(session, _ADVANCE[target], wanted), target, actor)


async def _audit_moved(session: AsyncSession, rows: Any, target: str, actor: str | None) -> None:
    """Audit the deliveries an advance statement moved (``actor`` None: each recipient)."""
    action = f"delivery.{target}"
    for row in rows:
        detail = {"from": row.old_state, "to": target}
        who = actor or row.recipient
        await audit.append(session, who, action, row.message_id, row.recipient, detail)


#: One document for :func:`deliver_documents`: message id, recipient, known header.
DocumentDelivery = tuple[str, str, "MessageHeader | None"]


async def deliver_documents(session: AsyncSession, items: Sequence[DocumentDelivery]) -> list[bool]:
    """:func:`deliver` of many documents in a few statements: one read of their deliveries,
    one insert of the mailbox items that are new, one batch of state updates. One result
    per item (``False``: already in the mailbox, or an earlier item of this call)."""
    headers: dict[str, MessageHeader] = {}
    for mid, _unit, known in items:
        if mid not in headers:
            headers[mid] = await message_header(session, mid, known)
    if dialect(session) == "postgresql":
        return await _deliver_documents_in_two(session, items, headers)
    deliveries = await _deliveries_of(session, [(mid, unit) for mid, unit, _ in items])
    for mid, unit, _ in items:
        if (mid, unit) not in deliveries:
            raise NotFoundError(
                f"message is not addressed to {unit}", code="message.not_found", message_id=mid
            )
    now = utcnow()
    values = [
        _document_item(mid, unit, headers[mid], now)
        for mid, unit in dict.fromkeys((m, u) for m, u, _k in items)
    ]
    rows = await execute(session, _ITEM_IF_NEW[dialect(session)], values)
    inserted = {(r.unit, r.ref): r.item_id for r in rows}
    results, moves = [], []
    for mid, unit, _ in items:
        item_id = inserted.pop((unit, mid), None)
        results.append(item_id is not None)
        if item_id is None:
            continue
        detail = {"kind": "document", "ref": mid}
        await audit.append(session, "hub", "mailbox.added", mid, unit, detail)
        delivery = deliveries[(mid, unit)]
        new = states.advance_transport(delivery.state, states.QUEUED)
        if new != delivery.state:
            moves.append((delivery, new))
    await _move(session, moves, "hub")
    return results


def _document_item(mid: str, unit: str, header: MessageHeader, now: datetime) -> dict[str, Any]:
    """The mailbox item of document ``mid`` in ``unit``'s mailbox."""
    return {
        "unit": unit,
        "kind": "document",
        "message_id": mid,
        "ref": mid,
        "sender": header.sender,
        "subject": header.subject,
        "created_at": now,
        "urgency": header.urgency,
    }


async def _deliver_documents_in_two(
    session: AsyncSession, items: Sequence[DocumentDelivery], headers: dict[str, MessageHeader]
) -> list[bool]:
    """:func:`deliver_documents` on PostgreSQL in two statements: insert the new mailbox
    items, then move every item's delivery to ``queued`` (``_TOUCH_QUEUED``, which also says
    that each delivery exists; a missing one raises, and the transaction with it)."""
    now = utcnow()
    pairs = list(dict.fromkeys((mid, unit) for mid, unit, _ in items))
    values = [_document_item(mid, unit, headers[mid], now) for mid, unit in pairs]
    new_items = await execute(session, _ITEM_IF_NEW["postgresql"], values)
    inserted = {(r.unit, r.ref) for r in new_items}
    wanted = [{"mid": mid, "unit": unit, "at": now} for mid, unit in pairs]
    rows = await execute(session, _TOUCH_QUEUED, wanted)
    touched = {(r.message_id, r.recipient): r for r in rows}
    for mid, unit in pairs:
        if (mid, unit) not in touched:
            raise NotFoundError(
                f"message is not addressed to {unit}", code="message.not_found", message_id=mid
            )
    results = []
    for mid, unit, _ in items:
        new = (unit, mid) in inserted
        inserted.discard((unit, mid))
        results.append(new)
        if new:
            detail = {"kind": "document", "ref": mid}
            await audit.append(session, "hub", "mailbox.added", mid, unit, detail)
    for row in touched.values():
        if states.advance_transport(row.old_state, states.QUEUED) != row.old_state:
            detail = {"from": row.old_state, "to": states.QUEUED}
            await audit.append(
                session, "hub", "delivery.queued", row.message_id, row.recipient, detail
            )
    return results


async def mark_fetched(
    session: AsyncSession, items: Sequence[tuple[str, Sequence[str]]]
) -> list[None]:
    """Fetch marks for ``(unit, message ids)`` items at once: the document items are marked
    fetched and their deliveries become ``delivered`` (each by its recipient)."""
    pairs = list(dict.fromkeys((unit, mid) for unit, mids in items for mid in mids))
    if pairs and dialect(session) == "postgresql":
        now = utcnow()
        wanted = [{"unit": unit, "mid": mid, "now": now, "at": now} for unit, mid in pairs]
        moved = await execute(session, _FETCH_AND_DELIVER, wanted)
        await _audit_moved(session, moved, states.DELIVERED, None)
    elif pairs:
        await _document_items(session, _FETCHED, pairs)
        await advance_many(session, [(m, u) for u, m in pairs], states.DELIVERED, None)
    return [None] * len(items)


_OUTBOX = table(OutboxEntryRow)
_PUBLISHED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"), _OUTBOX.c.published_at.is_(None))
    .values(published_at=bindparam("b_at"), claimed_until=None)
    .returning(_OUTBOX.c.topic, _OUTBOX.c.message_id, _OUTBOX.c.routing_key)
)
_MARK_PUBLISHED = Prepared(_PUBLISHED)
_JUST_PUBLISHED = _PUBLISHED.cte("published")
#: PostgreSQL: an outbox row's publish mark and, for a document, its delivery's move to
#: ``queued``, in one statement (returns the deliveries moved).
_PUBLISH_AND_QUEUE = Prepared(
    _advance_to(states.QUEUED, _JUST_PUBLISHED.c.message_id, _JUST_PUBLISHED.c.routing_key).where(
        _JUST_PUBLISHED.c.topic == DOCUMENTS
    )
)


async def mark_published(session: AsyncSession, ids: list[int]) -> None:
    """Mark outbox rows published; their documents' deliveries become ``queued``."""
    now = utcnow()
    wanted = [{"b_id": i, "b_at": now, "at": now} for i in ids]
    if dialect(session) == "postgresql":
        moved = await execute(session, _PUBLISH_AND_QUEUE, wanted)
        await _audit_moved(session, moved, states.QUEUED, "relay")
        return
    rows = await execute(session, _MARK_PUBLISHED, wanted)
    documents = [(r.message_id, r.routing_key) for r in rows if r.topic == DOCUMENTS]
    await advance_many(session, documents, states.QUEUED, "relay")


async def deliver(
    session: AsyncSession,
    message_id: str,
    recipient: str,
    kind: str,
    ref: str,
    known: MessageHeader | None = None,
) -> bool:
    """Put a document (``ref`` = its message id) or receipt into ``recipient``'s mailbox
    unless it is there."""
    if kind == "document" and ref == message_id:
        return (await deliver_documents(session, [(message_id, recipient, known)]))[0]
    if kind != "receipt":
        raise ValueError(f"unknown mailbox item kind {kind!r}")
    return (await deliver_receipts(session, [(message_id, recipient, ref, known)]))[0]


#: One receipt for :func:`deliver_receipts`: message id, mailbox unit, receipt id, header.
ReceiptDelivery = tuple[str, str, str, "MessageHeader | None"]


async def deliver_receipts(session: AsyncSession, items: Sequence[ReceiptDelivery]) -> list[bool]:
    """Put receipts into mailboxes, unless there: one read of their deliveries' receipts,
    one insert of the new items. One result per item (``False``: already in the mailbox,
    or put there by an earlier item of this call).

    The bus may hand over a delivery's receipts out of order (concurrent publishes and
    handlers): the earlier ones (issued before, so committed) go in first, so that a
    mailbox always lists one delivery's receipts in the order they were issued.
    """
    headers: dict[str, MessageHeader] = {}
    for mid, _unit, _ref, known in items:
        if mid not in headers:
            headers[mid] = await message_header(session, mid, known)
    asked = [{"ref": ref, "unit": unit, "asked": ref} for _m, unit, ref, _k in items]
    by_ref: dict[str, list[Any]] = {}
    for row in await execute(session, _DELIVERY_RECEIPTS, asked):
        by_ref.setdefault(row.asked, []).append(row)
    planned: dict[tuple[str, str], dict[str, Any]] = {}
    own: list[tuple[str, str] | None] = []
    for mid, unit, ref, _known in items:
        rows = by_ref.get(ref, [])
        receipt = next((r for r in rows if r.receipt_id == ref), None)
        if receipt is None or receipt.message_id != mid:
            raise NotFoundError(f"no receipt {ref}", code="not_found", message_id=mid)
        if receipt.item_id is not None or (unit, ref) in planned:
            own.append(None)
            continue
        message = headers[mid]
        for earlier in _earlier_receipts(rows, receipt, unit, message.sender):
            key = (unit, earlier.receipt_id)
            if key not in planned:
                planned[key] = _receipt_item(message, unit, earlier.receipt_id, earlier.issuer)
        planned[(unit, ref)] = _receipt_item(message, unit, ref, receipt.issuer)
        own.append((unit, ref))
    values = list(planned.values())
    rows = await execute(session, _ITEM_IF_NEW[dialect(session)], values) if values else []
    added = {(r.unit, r.ref) for r in rows}
    for value in values:
        if (value["unit"], value["ref"]) in added:
            detail = {"kind": "receipt", "ref": value["ref"]}
            await audit.append(
                session, "hub", "mailbox.added", value["message_id"], value["unit"], detail
            )
    return [key is not None and key in added for key in own]


def _receipt_item(message: MessageHeader, unit: str, ref: str, sender: str) -> dict[str, Any]:
    """The mailbox item of receipt ``ref`` in ``unit``'s mailbox (``sender``: its issuer)."""
    return {
        "unit": unit,
        "kind": "receipt",
        "message_id": message.id,
        "ref": ref,
        "sender": sender,
        "subject": message.subject,
        "created_at": utcnow(),
        "urgency": 0,
    }


def _issue_order(r: Any) -> tuple[Any, str, str]:
    """Receipts of one delivery in the order they were issued (the state only moves on)."""
    return (r.at, r.status_code, r.receipt_id)


def _earlier_receipts(rows: Sequence[Any], receipt: Any, unit: str, sender: str) -> list[Any]:
    """Of a delivery's receipts (rows of ``_DELIVERY_RECEIPTS``), those routed to ``unit``,
    issued before ``receipt``, whose mailbox item does not exist yet; in issue order."""
    found = []
    for r in rows:
        target = r.recipient if r.status_code == Status.RECALL_REQUESTED.code else sender
        if (
            target == unit
            and r.item_id is None
            and r.receipt_id != receipt.receipt_id
            and _issue_order(r) < _issue_order(receipt)
        ):
            found.append(r)
    return sorted(found, key=_issue_order)


def _checked_receipt(
    r: Any, message: MessageHeader, state: str, found: changes.Changes, answered: bool = True
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
    new = states.next_state(state, r.status, answers_change=changing, answered=answered)
    return issuer, new, r.recipient if recall else message.sender


async def _answered(session: AsyncSession, message_id: str, recipient: str, state: str) -> bool:
    """Whether the recipient has answered the delivery (01-06) already; read only in a
    take-back state, the one state that does not tell."""
    if state not in states.RECALL_STATES:
        return True
    query = (
        select(ReceiptRow.receipt_id)
        .where(
            ReceiptRow.message_id == message_id,
            ReceiptRow.recipient == recipient,
            ReceiptRow.status_code.in_(states.ANSWER_CODES),
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
    }
    outbox_body = body(receipt_id=rid, message_id=mid, recipient=target, kind="receipt")
    return receipt, outbox_values(RECEIPTS, target, mid, outbox_body)


def _receipt_detail(r: Any, old: str, new: str) -> dict[str, Any]:
    return {
        "receipt_id": str(r.receipt_id),
        "status": r.status.code,
        "from": old,
        "to": new,
        "reason": r.reason,
    }


async def insert_receipt(
    session: AsyncSession, verified: VerifiedReceiptLike, known: MessageHeader | None = None
) -> bool:
    """Store a receipt, move its delivery, queue it for the other party; ``False`` (and
    nothing changed) when a receipt with this id is stored already."""
    r = verified.receipt
    rid = str(r.receipt_id)
    message = await message_header(session, str(r.message_id), known)
    delivery = await get_delivery(session, message.id, r.recipient)
    found = await changes.load_changes(session, [message.id])
    answered = await _answered(session, message.id, r.recipient, delivery.state)
    try:
        issuer, new, target = _checked_receipt(r, message, delivery.state, found, answered)
    except (IllegalTransitionError, DocumentRevokedError):
        # the same receipt again (it moved the delivery on the first time): no error
        if (await execute(session, _RECEIPT_EXISTS, {"rid": rid})).first() is not None:
            return False
        raise
    receipt, outbox = _receipt_rows(verified, issuer, target, utcnow())
    if (await execute(session, _RECEIPT_IF_NEW[dialect(session)], receipt)).first() is None:
        return False
    await set_state(session, delivery, new)
    await execute(session, _INSERT_OUTBOX, outbox)
    await audit_passed(session, message.id, r.recipient, delivery.state, new)
    detail = _receipt_detail(r, delivery.state, new)
    await audit.append(session, issuer, "receipt.added", message.id, r.recipient, detail)
    return True


#: States only the recipient's own answer sets: a delivery that reaches one of them has
#: reached its recipient, whether or not the hub recorded the fetch first.
_ANSWERED = frozenset(
    s.label
    for s in (
        Status.RECEIVED,
        Status.REJECTED,
        Status.ACCEPTED,
        Status.ASSIGNED,
        Status.PROCESSING,
        Status.COMPLETED,
    )
)


async def audit_passed(session: AsyncSession, mid: str, recipient: str, old: str, new: str) -> None:
    """Audit the transport states a recipient's answer moved its delivery through.

    The fetch that makes a delivery ``delivered`` is recorded beside the response (see
    ``Hub.mailbox``), and another hub process may record the recipient's 01 first; the
    delivery then goes from ``queued`` to ``received`` in one step. The audit log still
    says it passed through ``queued`` and ``delivered`` (``implied_by: receipt``), each
    entry once: a later fetch mark finds the delivery past ``delivered`` and moves nothing.
    """
    if new not in _ANSWERED:
        return
    state = old
    for step, who in ((states.QUEUED, "hub"), (states.DELIVERED, recipient)):
        if states.advance_transport(state, step) != state:
            detail = {"from": state, "to": step, "implied_by": "receipt"}
            await audit.append(session, who, f"delivery.{step}", mid, recipient, detail)
            state = step


#: One receipt for :func:`add_receipts`: the receipt, the unit whose document it also
#: acks (or None), the message header if known.
ReceiptWrite = tuple[VerifiedReceiptLike, "str | None", "MessageHeader | None"]


async def add_receipts(
    session: AsyncSession, items: Sequence[ReceiptWrite]
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
    in_one = dialect(session) == "postgresql"
    if in_one:
        deliveries, seen = await _deliveries_and_receipts(session, keys, rids)
    else:
        deliveries = await _deliveries_of(session, keys)
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
            answered[key] = await _answered(session, key[0], key[1], state[key])
        issuer, new, target = _checked_receipt(r, headers[key[0]], state[key], found, answered[key])
        answered[key] = answered[key] or r.status.code in states.ANSWER_CODES
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
            await execute(session, _INSERT_OUTBOX, outbox)
            changed = {key for _issuer, key, _detail in details}
            moved = [
                {"b_id": d.id, "b_state": state[key], "b_at": now}
                for key, d in deliveries.items()
                if key in changed
            ]
            await execute(session, _SET_STATE, moved)
        for issuer, (mid, recipient), detail in details:
            await audit_passed(session, mid, recipient, detail["from"], detail["to"])
            await audit.append(session, issuer, "receipt.added", mid, recipient, detail)
    acks = list(
        dict.fromkeys((a, m) for (_v, a, _k), (m, _r) in zip(items, keys, strict=True) if a)
    )
    if acks:
        await _ack_documents(session, acks)
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
        deliveries[(row.message_id, row.recipient)] = _delivery(row)
        if row.seen is not None:
            seen.add(row.asked)
    return deliveries, seen


def _prefixed_params(**rows: dict[str, Any]) -> dict[str, Any]:
    """One parameter set for a statement built with :func:`_prefixed`: each row's values
    under its prefix (``r={"id": 1}`` → ``{"r_id": 1}``)."""
    return {f"{prefix}_{k}": v for prefix, row in rows.items() for k, v in row.items()}


def _receipt_writes(
    receipt: dict[str, Any], queued: dict[str, Any], delivery: int, state: str, now: datetime
) -> dict[str, Any]:
    """The parameters of ``_RECEIPT_WRITES`` for one receipt."""
    return {
        "b_id": delivery,
        "b_state": state,
        "b_at": now,
        **_prefixed_params(r=receipt, o=queued),
    }


def _unset_on_documents(column: str) -> Prepared:
    """Set ``column`` to ``:now`` on the document item of ``(:unit, :mid)`` if it is not
    set yet; returns the item if it changed.

    A document item's ``ref`` is its message id: naming it makes the lookup one probe of the
    unique ``(unit, kind, ref)`` index, where SQLite otherwise scans every document of the
    unit through that index's first two columns (slower the more documents it holds)."""
    return Prepared(
        update(_ITEMS)
        .where(
            _ITEMS.c.unit == bindparam("unit"),
            _ITEMS.c.kind == "document",
            _ITEMS.c.ref == bindparam("mid"),
            _ITEMS.c.message_id == bindparam("mid"),
            _ITEMS.c[column].is_(None),
        )
        .values({column: bindparam("now")})
        .returning(_ITEMS.c.item_id, _ITEMS.c.unit, _ITEMS.c.message_id)
    )


_FETCHED = _unset_on_documents("fetched_at")
#: PostgreSQL: :func:`mark_fetched` of one ``(unit, mid)`` in one statement: the item's
#: fetch mark (a CTE) and the delivery's move to ``delivered`` (returns it if it moved).
_FETCH_AND_DELIVER = Prepared(
    _advance_to(states.DELIVERED).add_cte(_FETCHED.statement.cte("fetched"))
)
_ACKED_DOCUMENT = _unset_on_documents("acked_at")
_ACKED_ITEM = Prepared(
    update(_ITEMS)
    .where(
        _ITEMS.c.unit == bindparam("unit"),
        _ITEMS.c.item_id == bindparam("item"),
        _ITEMS.c.acked_at.is_(None),
    )
    .values(acked_at=bindparam("now"))
    .returning(_ITEMS.c.unit, _ITEMS.c.item_id, _ITEMS.c.kind, _ITEMS.c.ref, _ITEMS.c.message_id)
)
_ITEM_OWNER = Prepared(
    select(_ITEMS.c.item_id, _ITEMS.c.unit).where(_ITEMS.c.item_id == bindparam("item"))
)


async def _document_items(
    session: AsyncSession, statement: Prepared, pairs: Sequence[tuple[str, str]]
) -> list[Any]:
    """Run ``_FETCHED`` or ``_ACKED_DOCUMENT`` for ``(unit, message id)`` pairs: the items
    changed."""
    now = utcnow()
    wanted = [{"unit": unit, "mid": mid, "now": now} for unit, mid in dict.fromkeys(pairs)]
    return (await execute(session, statement, wanted)).all() if wanted else []


async def _ack_documents(session: AsyncSession, pairs: list[tuple[str, str]]) -> int:
    """Take the document items of ``(unit, message id)`` pairs off their pending lists in
    one update (audited); how many were pending."""
    acked = 0
    for row in await _document_items(session, _ACKED_DOCUMENT, pairs):
        detail = {"item_id": row.item_id, "kind": "document", "ref": row.message_id}
        await audit.append(session, row.unit, "mailbox.acked", row.message_id, row.unit, detail)
        acked += 1
    return acked


async def ack_items(session: AsyncSession, items: Sequence[tuple[str, int]]) -> list[None]:
    """Take ``(unit, item id)`` mailbox items off their pending lists (idempotent, audited),
    one update for all; ``mailbox.item_not_found`` if one is not that unit's item (in a
    group, every write then runs alone)."""
    pairs = list(dict.fromkeys(items))
    now = utcnow()
    wanted = [{"unit": unit, "item": item_id, "now": now} for unit, item_id in pairs]
    done = {(r.unit, r.item_id): r for r in await execute(session, _ACKED_ITEM, wanted)}
    others = [{"item": item_id} for unit, item_id in pairs if (unit, item_id) not in done]
    if others:
        found = {(r.unit, r.item_id) for r in await execute(session, _ITEM_OWNER, others)}
        for unit, item_id in pairs:
            if (unit, item_id) not in done and (unit, item_id) not in found:
                raise NotFoundError(f"no mailbox item {item_id}", code="mailbox.item_not_found")
    for (unit, item_id), row in done.items():
        detail = {"item_id": item_id, "kind": row.kind, "ref": row.ref}
        await audit.append(session, unit, "mailbox.acked", row.message_id, unit, detail)
    return [None] * len(items)


async def ack_item_lists(
    session: AsyncSession, lists: Sequence[Sequence[tuple[str, int]]]
) -> list[None]:
    """:func:`ack_items` for the item lists of several writes at once (a group commit's
    batch: one update for every ack of the turn); one result per list."""
    await ack_items(session, [pair for pairs in lists for pair in pairs])
    return [None] * len(lists)


async def ack_document(session: AsyncSession, unit: str, message_id: str) -> bool:
    """Take ``unit``'s document item for ``message_id`` off its pending list (audited);
    ``True`` if it was pending."""
    return await _ack_documents(session, [(unit, message_id)]) > 0
