"""The persistence of a document's journey; every method is one transaction, or part of
one: the hot writes (accept, deliver, fetch marks, receipts, item acks) go through a
:class:`~gateway.store.group_commit.GroupCommit` lane, which commits the writes that
queued up meanwhile together (and each alone again if that shared transaction fails).

accept → (outbox) claim_outbox / mark_published / release → deliver → pending / ack_item /
ack_document / mark_fetched(_many) → add_receipt → status / search. Every state change
appends an audit entry in the same transaction, so the audit log and the state never disagree.

Outbox bodies (the bus messages) are defined in :mod:`gateway.store.outbox_body`; the
routing key is the recipient unit code.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.envelope.model import check_unit_code
from gateway.errors import NotFoundError, RoutingError
from gateway.store import (
    fetch_ack,
    headers,
    mailbox,
    overview,
    queries,
    receipts,
    search,
)
from gateway.store.accept import accept_messages
from gateway.store.db import Database
from gateway.store.group_commit import Batch, GroupCommit
from gateway.store.models import (
    AttachmentRow,
    utcnow,
)
from gateway.store.outbox import DOCUMENTS, RECEIPTS, mark_published
from gateway.store.outbox_leases import OutboxLeases
from gateway.store.records import (
    AcceptResult,
    DueEnvelope,
    MailboxItem,
    MessageStatus,
    OverdueDelivery,
    SearchFilters,
    SearchPage,
    StoredMessage,
    StoredReceipt,
    UnitSummary,
    VerifiedEnvelopeLike,
    VerifiedReceiptLike,
)
from gateway.store.rules import DeliveryRules
from gateway.urgency import parse_urgency

__all__ = ["DOCUMENTS", "RECEIPTS", "MessageStore"]

R = TypeVar("R")


class DuePolicyLike(Protocol):
    """``gateway.deadlines.DuePolicy``: due times by acceptance time, urgency, due date."""

    def __call__(self, accepted: datetime, urgency: int, due_date: date | None) -> Any: ...


#: Accepted messages remembered by :meth:`MessageStore.get` (they never change).
_MESSAGE_CACHE = 4096


#: An accept's answer, and the message as stored when it is new (cached after commit).
_Accepted = tuple[AcceptResult, StoredMessage | None]


async def _accept_in(
    session: AsyncSession, *, verified: VerifiedEnvelopeLike, units: list[str], by: str
) -> _Accepted:
    return (await accept_messages(session, [(verified, units, by)]))[0]


async def _add_receipt_in(
    session: AsyncSession,
    rules: DeliveryRules,
    verified: VerifiedReceiptLike,
    ack_document: str | None,
    known: StoredMessage | None = None,
) -> tuple[str, bool]:
    created = await receipts.insert_receipt(session, verified, known, rules=rules)
    if ack_document is not None:
        await fetch_ack.ack_document(session, ack_document, str(verified.receipt.message_id))
    return str(verified.receipt.receipt_id), created


async def _mark_fetched_in(
    session: AsyncSession, unit: str, wanted: tuple[str, ...], person: str | None
) -> None:
    await fetch_ack.mark_fetched(session, [(unit, wanted, person)])


class MessageStore(OutboxLeases):
    """Messages, deliveries, outbox, mailboxes and receipts over one database."""

    def __init__(self, db: Database, *, rules: DeliveryRules) -> None:
        self.db = db
        #: The delivery transition rules (``gateway.pipeline.states.RULES``), passed in.
        self.rules = rules
        self._add_receipts = partial(receipts.add_receipts, rules=rules)
        self._messages: OrderedDict[str, StoredMessage] = OrderedDict()
        #: The hot writes (accept, deliver, fetch marks, receipts, acks) share transactions.
        # a fetch is recorded before the answers of the same group (Hub.mailbox records a
        # fetch beside the response, so the recipient's answer may join its group)
        self.lane = GroupCommit(db, early=(fetch_ack.mark_fetched,))
        #: The hub's deadline policy (``gateway.deadlines.DuePolicy``): due times at accept.
        self.due_policy: DuePolicyLike | None = None

    # -- accept --------------------------------------------------------------------------

    async def accept(
        self, verified: VerifiedEnvelopeLike, recipients: Sequence[str], submitted_by: str
    ) -> AcceptResult:
        """Store a verified envelope with one delivery + one outbox row per recipient.

        Same id and digest again: ``created=False``, nothing new. Same id, other digest:
        ``message.duplicate_id``.
        """
        units = list(dict.fromkeys(check_unit_code(r) for r in recipients))
        if not units:
            raise RoutingError("no recipients", code="routing.no_recipients")
        if self.due_policy is not None:
            doc = verified.envelope.document
            due = self.due_policy(utcnow(), int(parse_urgency(doc.urgency)), doc.due_date)
            verified = DueEnvelope(verified, due.received, due.completed)
        together = partial(_accept_in, verified=verified, units=units, by=submitted_by)
        alone = partial(self._accept_alone, verified, units, submitted_by)
        batch = (accept_messages, (verified, units, submitted_by))
        result, stored = await self.lane.write(together, alone, batch=batch)
        if stored is not None:
            self._remember(stored)
        return result

    async def _accept_alone(
        self, verified: VerifiedEnvelopeLike, units: list[str], submitted_by: str
    ) -> _Accepted:
        try:
            async with self.db.session(write=True) as session:
                return await _accept_in(session, verified=verified, units=units, by=submitted_by)
        except IntegrityError:
            async with self.db.read() as session:  # a concurrent accept won the race
                message_id = str(verified.envelope.message_id)
                return await headers.existing_message(session, message_id, verified.digest), None

    async def get(self, message_id: str) -> StoredMessage:
        """A message's row, recipients and attachments; ``message.not_found``.

        An accepted message never changes (its deliveries do, and are not part of this),
        so the answer is remembered, in this process, for the most recent messages.
        """
        cached = self._messages.get(message_id)
        if cached is not None:
            self._messages.move_to_end(message_id)
            return cached
        stored = await queries.stored_message(self.db, message_id)
        self._remember(stored)
        return stored

    async def expiry_facts(self, message_id: str) -> tuple[datetime | None, str]:
        """A message's ``(expires_at, envelope_digest)``: from the remembered message, or
        one prepared statement (no session; ``message.not_found``)."""
        cached = self._messages.get(message_id)
        if cached is not None:
            return cached.expires_at, cached.envelope_digest
        row = (await self.db.query(queries.EXPIRY_FACTS, {"id": message_id})).first()
        if row is None:
            raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
        return row.expires_at, row.envelope_digest

    def _remember(self, stored: StoredMessage) -> None:
        self._messages[stored.id] = stored
        if len(self._messages) > _MESSAGE_CACHE:
            self._messages.popitem(last=False)

    async def referenced_blobs(self, shas: Collection[str]) -> set[str]:
        """Which of ``shas`` an attachment of a stored message names."""
        if not shas:
            return set()
        query = select(AttachmentRow.sha256).where(AttachmentRow.sha256.in_(list(shas)))
        async with self.db.read() as session:
            return set((await session.execute(query.distinct())).scalars())

    async def envelope_xml(self, message_id: str) -> bytes:
        """The envelope exactly as accepted."""
        async with self.db.read() as session:
            return (await headers.get_message(session, message_id)).envelope_xml

    # -- outbox (claims and leases: :class:`OutboxLeases`) ----------------------------------

    async def mark_published(self, ids: Sequence[int], *, lazy: bool = False) -> None:
        """The bus confirmed these rows: done; their deliveries move ``submitted → queued``
        (``lazy``: nobody waits for it, see :meth:`GroupCommit.write`)."""
        if ids:
            wanted = list(ids)
            await self.lane.write(
                lambda session: mark_published(session, wanted),
                partial(self._alone, mark_published, wanted),
                lazy=lazy,
            )

    # -- mailbox -------------------------------------------------------------------------

    async def deliver(
        self, message_id: str, recipient: str, kind: str = "document", ref: str | None = None
    ) -> bool:
        """Put a document (``ref`` = message id) or receipt (``ref`` = receipt id) into
        ``recipient``'s mailbox; ``False`` when it is already there (idempotent).
        Concurrent calls share transactions (:class:`GroupCommit`)."""
        known = self._messages.get(message_id)
        args = (message_id, recipient, kind, ref or message_id, known)
        ref = args[3]
        batch: Batch | None = None
        if kind == "document" and ref == message_id:
            batch = (mailbox.deliver_documents, (message_id, recipient, known))
        elif kind == "receipt":
            batch = (mailbox.deliver_receipts, (message_id, recipient, ref, known))
        return await self.lane.write(
            lambda session: mailbox.deliver(session, *args),
            partial(self._alone, mailbox.deliver, *args),
            batch=batch,
        )

    async def pending(self, unit: str, limit: int = 100) -> list[MailboxItem]:
        """Items not yet acked, oldest first."""
        return await queries.pending(self.db, unit, limit)

    async def ack_item(self, unit: str, item_id: int) -> None:
        """Remove an item from the pending list (idempotent); ``mailbox.item_not_found``."""
        await self.ack_items(unit, [item_id])

    async def ack_items(self, unit: str, item_ids: Sequence[int]) -> None:
        """:meth:`ack_item` for several items in one transaction: all, or none when one is
        not ``unit``'s (``mailbox.item_not_found``). The acks of a group commit are one
        statement, whoever sent them."""
        pairs = [(unit, item_id) for item_id in dict.fromkeys(item_ids)]
        if pairs:
            await self.lane.write(
                lambda session: fetch_ack.ack_items(session, pairs),
                partial(self._alone, fetch_ack.ack_items, pairs),
                batch=(fetch_ack.ack_item_lists, pairs),
            )

    async def _alone(self, together: Callable[..., Awaitable[R]], *args: Any) -> R:
        """``together(session, *args)`` in a write transaction of its own."""
        async with self.db.session(write=True) as session:
            return await together(session, *args)

    async def ack_document(self, unit: str, message_id: str) -> bool:
        """Take ``unit``'s document item for ``message_id`` off its pending list in one
        UPDATE (idempotent, no error when there is none); ``True`` if it was pending."""
        async with self.db.session(write=True) as session:
            return await fetch_ack.ack_document(session, unit, message_id)

    async def mark_fetched_many(
        self,
        unit: str,
        message_ids: Sequence[str],
        *,
        lazy: bool = False,
        person: str | None = None,
    ) -> None:
        """``mark_fetched`` for several documents of ``unit`` in one transaction (shared
        with other units' concurrent calls, :class:`GroupCommit`; ``lazy``: nobody waits
        for it; ``person``: the clerk who fetched them, kept on each delivery it moves)."""
        wanted = tuple(dict.fromkeys(message_ids))
        if wanted:
            await self.lane.write(
                lambda session: _mark_fetched_in(session, unit, wanted, person),
                partial(self._alone, _mark_fetched_in, unit, wanted, person),
                batch=(fetch_ack.mark_fetched, (unit, wanted, person)),
                lazy=lazy,
            )

    async def mark_fetched(self, message_id: str, unit: str) -> None:
        """The recipient fetched the document: the delivery becomes ``delivered``."""
        await self.mark_fetched_many(unit, [message_id])

    # -- receipts ------------------------------------------------------------------------

    async def add_receipt(
        self, verified: VerifiedReceiptLike, *, ack_document: str | None = None
    ) -> tuple[str, bool]:
        """Store a receipt, move its delivery, queue it for the other party.

        The same receipt id again returns ``(id, False)`` and changes nothing.
        ``ack_document``: also take the document off that unit's pending list, in the
        same transaction (a recipient's first answer does).
        """
        known = self._messages.get(str(verified.receipt.message_id))
        return await self.lane.write(
            lambda session: _add_receipt_in(session, self.rules, verified, ack_document, known),
            partial(self._add_receipt_alone, verified, ack_document, known),
            batch=(self._add_receipts, (verified, ack_document, known)),
        )

    async def _add_receipt_alone(
        self, verified: VerifiedReceiptLike, ack_document: str | None, known: StoredMessage | None
    ) -> tuple[str, bool]:
        async with self.db.session(write=True) as session:
            return await _add_receipt_in(session, self.rules, verified, ack_document, known)

    async def get_receipt(self, receipt_id: str) -> StoredReceipt:
        """A stored receipt with its signed XML; ``not_found`` if there is none."""
        async with self.db.read() as session:
            return await queries.stored_receipt(session, receipt_id)

    # -- views ---------------------------------------------------------------------------

    async def status(self, message_id: str) -> MessageStatus:
        """The message's timeline: every recipient's state and receipts."""
        async with self.db.read() as session:
            return await queries.status(session, message_id)

    async def search(
        self, filters: SearchFilters, cursor: str | None = None, limit: int = 50
    ) -> SearchPage:
        """Messages matching ``filters``, newest first, ``limit`` per page."""
        async with self.db.read() as session:
            return await search.search(session, filters, cursor, limit)

    async def unit_summaries(self, unit: str | None = None) -> list[UnitSummary]:
        """Per-unit counters (sent, received, pending, deliveries by state)."""
        async with self.db.read() as session:
            return await overview.unit_summaries(session, unit)

    async def overdue(self, today: date | None = None, limit: int = 200) -> list[OverdueDelivery]:
        """Unfinished deliveries whose document's due date has passed."""
        async with self.db.read() as session:
            day = today or utcnow().date()
            return await overview.overdue(session, day, limit, self.rules.final_states)
