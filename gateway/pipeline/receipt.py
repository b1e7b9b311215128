"""Stage 7, receipt: build, sign and store a statement about one delivery.

A receipt is signed with the issuing unit's own key when the hub holds it, otherwise with
the hub's key on the unit's behalf (the receipt still names the unit as issuer). The
store checks the transition (``receipt.illegal_transition``), moves the delivery and
queues the receipt for the other party's mailbox in the same transaction.

Receipts the hub issues by itself (``expired``) get an id derived from the delivery, so a
redelivered bus message cannot produce a second one.

A receipt's own (signed) time is a claim: the store records the hub's time of receipt,
which status views show (the claimed time beside it), and :func:`check_claimed_time`
refuses a signed time later than the hub's clock or earlier than the message's acceptance
by more than the allowed skew.

:class:`ReceiptDesk` is the stage's front, after the hub authorised the caller: a
recipient's answer (also for the retired units it stands for), the sender's take-back
(recall, 13), the adapter's failure (91), and a receipt signed by the party itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

import structlog

from gateway.envelope.model import Receipt, Status
from gateway.envelope.seal import Sealing
from gateway.envelope.verify import VerifiedReceipt, verify_receipt
from gateway.errors import GatewayError, IllegalTransitionError, ReceiptError, RequestError
from gateway.logging import bound
from gateway.pdfsig.receipt import refuse_foreign_verdicts
from gateway.pipeline.signers import Signers
from gateway.pipeline.states import is_final
from gateway.pki.trust import TrustStore, unit_code_of
from gateway.store import MessageStore
from gateway.store.records import StoredMessage, VerifiedReceiptLike
from gateway.text import nfc_opt

__all__ = [
    "ReceiptDesk",
    "ReceiptIssuer",
    "ReceiptObserver",
    "SealedReceipt",
    "check_claimed_time",
    "hub_receipt_id",
    "require_reason",
]

log = structlog.get_logger("gateway.pipeline.receipt")

_HUB_RECEIPTS = uuid.UUID("6b1f3c2e-5d7a-4c1e-9a0b-1f2e3d4c5b6a")
#: Acceptance times remembered for latency metrics (a broadcast's receipts share one).
_ACCEPTED_CACHE = 4096
#: Statuses that may be a recipient's first answer (which takes the document off its list).
_FIRST_ANSWERS = frozenset(
    {Status.RECEIVED, Status.REJECTED, Status.ACCEPTED, Status.RECALL_AGREED, Status.RECALL_REFUSED}
)


class ReceiptObserver(Protocol):
    """Told about every new receipt (``gateway.metrics.HubMetrics``)."""

    def observe_receipt(self, status_code: str, accepted_at: datetime) -> None: ...


def hub_receipt_id(message_id: str, recipient: str, status: Status) -> uuid.UUID:
    """A stable id for a receipt the hub issues on its own (one per delivery and status)."""
    return uuid.uuid5(_HUB_RECEIPTS, f"{message_id}/{recipient}/{status.code}")


def check_claimed_time(
    claimed: datetime, accepted_at: datetime, now: datetime, skew: timedelta
) -> None:
    """``receipt.time_out_of_range`` (422) unless ``accepted_at - skew <= claimed <=
    now + skew``: a receipt cannot answer a message before the hub accepted it, nor be
    signed in the future."""
    accepted = accepted_at if accepted_at.tzinfo else accepted_at.replace(tzinfo=UTC)
    if accepted - skew <= claimed <= now + skew:
        return
    raise ReceiptError(
        f"the receipt is dated {claimed.isoformat()}, outside {(accepted - skew).isoformat()}"
        f" .. {(now + skew).isoformat()} (the message's acceptance and the hub's clock, "
        f"give or take {int(skew.total_seconds())} s)",
        code="receipt.time_out_of_range",
        http_status=422,
    )


@dataclass(frozen=True, slots=True)
class SealedReceipt:
    """A receipt the hub just signed (the store's ``VerifiedReceiptLike``)."""

    receipt: Receipt
    xml: bytes
    digest: str
    signer_unit: str
    #: The clerk whose mailbox action it is (stored with it: the timeline's ``person``).
    person: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


class ReceiptIssuer:
    """Seal receipts with the right key and hand them to the store."""

    def __init__(
        self,
        signers: Signers,
        messages: MessageStore,
        *,
        on_added: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = _now,
        sealing: Sealing | None = None,
    ) -> None:
        self.signers = signers
        self.sealing = sealing or Sealing()
        self.messages = messages
        self.on_added = on_added
        self.clock = clock
        #: Set by the hub: receipt latency metrics (``None``: not observed).
        self.metrics: ReceiptObserver | None = None
        #: Set by the hub: the ``<Extensions>`` a receipt it builds carries, by message and
        #: status (the PDF verdicts, :class:`gateway.pdfsig.receipt.ReceiptVerdicts`).
        self.extensions: Callable[[str, Status], Awaitable[bytes | None]] | None = None
        self._accepted: OrderedDict[str, datetime] = OrderedDict()

    async def seal(self, receipt: Receipt, *, hub_signed: bool = False) -> SealedReceipt:
        """Sign ``receipt`` with its issuer's key, or the hub's on its behalf (always the
        hub's with ``hub_signed``: a statement the hub makes, such as ``failed``)."""
        if hub_signed:
            key, cert = await self.signers.hub()
        else:
            key, cert = await self.signers.for_receipt(receipt.issuer or receipt.recipient)
        xml = await self.sealing.seal(receipt, key, cert)
        digest = hashlib.sha256(xml).hexdigest()
        return SealedReceipt(receipt, xml, digest, unit_code_of(cert))

    async def issue(
        self,
        *,
        message_id: str,
        envelope_digest: str,
        recipient: str,
        status: Status,
        issuer: str,
        reason: str | None = None,
        receipt_id: uuid.UUID | None = None,
        hub_signed: bool = False,
        ack_document: bool = False,
        person: str | None = None,
    ) -> tuple[str, bool]:
        """Build, seal and store one receipt; ``(receipt_id, created)``. ``ack_document``:
        also take the document off the recipient's pending list (same transaction);
        ``person``: the clerk who acted, stored with the receipt."""
        receipt = Receipt(
            receipt_id=receipt_id or uuid.uuid4(),
            message_id=uuid.UUID(message_id),
            envelope_digest=envelope_digest,
            recipient=recipient,
            status=status,
            timestamp=self.clock(),
            reason=nfc_opt(reason),
            issuer=issuer,
            extensions=await self.extensions(message_id, status) if self.extensions else None,
        )
        sealed = await self.seal(receipt, hub_signed=hub_signed)
        sealed = dataclasses.replace(sealed, person=person)
        return await self.store(sealed, ack_document=recipient if ack_document else None)

    async def store(
        self, verified: VerifiedReceiptLike, *, ack_document: str | None = None
    ) -> tuple[str, bool]:
        """Store a sealed or verified receipt and wake the relay if it is new
        (``ack_document``: see :meth:`MessageStore.add_receipt`)."""
        receipt_id, created = await self.messages.add_receipt(verified, ack_document=ack_document)
        if created:
            self.on_added()
            await self._observe(verified)
        return receipt_id, created

    async def _observe(self, verified: VerifiedReceiptLike) -> None:
        """Latency from the message's acceptance to this receipt, for the metrics."""
        if self.metrics is None:
            return
        receipt = verified.receipt
        accepted_at = await self._accepted_at(str(receipt.message_id))
        if accepted_at is not None:
            self.metrics.observe_receipt(receipt.status.code, accepted_at)

    async def _accepted_at(self, message_id: str) -> datetime | None:
        at = self._accepted.get(message_id)
        if at is None:
            try:
                at = (await self.messages.get(message_id)).accepted_at
            except GatewayError:  # metrics never fail a receipt that is already stored
                return None
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            self._accepted[message_id] = at
            if len(self._accepted) > _ACCEPTED_CACHE:
                self._accepted.popitem(last=False)
        return at


def require_reason(status: Status, reason: str | None, message_id: str) -> None:
    """A rejection (02) says why, whichever way it comes (a status or a signed receipt)."""
    if status is Status.REJECTED and not (reason and reason.strip()):
        raise ReceiptError(
            "a rejection (02) needs a reason: say why",
            code="receipt.reason_required",
            http_status=422,
            message_id=message_id,
        )


class StandsFor(Protocol):
    """``Lineage.stands_for``: the retired units among ``codes`` that ``unit`` succeeds."""

    def __call__(self, unit: str, codes: Collection[str]) -> Awaitable[list[str]]: ...


class ReceiptDesk:
    """Receipts on behalf of a caller the hub has authorised (see the module docstring)."""

    def __init__(
        self,
        issuer: ReceiptIssuer,
        messages: MessageStore,
        stands_for: StandsFor,
        *,
        trust: Callable[[], TrustStore],
        intake: Callable[[bytes], bytes],
        skew: timedelta,
    ) -> None:
        self.issuer = issuer
        self.messages = messages
        self.stands_for = stands_for
        self.trust = trust
        self.intake = intake
        self.skew = skew

    async def answer(
        self,
        stored: StoredMessage,
        unit: str,
        status: Status,
        reason: str | None,
        *,
        person: str | None = None,
    ) -> str:
        """``unit``'s ``status`` on its delivery; a successor's answer also answers the
        deliveries it took over from retired units (the hub signs those for them), and
        those already answered are left alone. The id of the first receipt (``person``:
        the clerk who answered, on each of them)."""
        answer = partial(self._answer, stored, unit, status=status, reason=reason, person=person)
        taken = await self.stands_for(unit, stored.recipients)
        first, *others = ([unit] if unit in stored.recipients else []) + taken
        with bound(message_id=stored.id, unit=unit, stage="receipt"):
            receipt_id = await answer(first)
            for recipient in others:
                try:
                    await answer(recipient)
                except ReceiptError as exc:
                    log.info("receipt.not_for_predecessor", recipient=recipient, error=exc.code)
        return receipt_id

    async def _answer(
        self,
        stored: StoredMessage,
        unit: str,
        recipient: str,
        *,
        status: Status,
        reason: str | None,
        person: str | None,
    ) -> str:
        """``unit``'s ``status`` on ``recipient``'s delivery (its own, or a retired one's)."""
        receipt_id, _ = await self.issuer.issue(
            message_id=stored.id,
            envelope_digest=stored.envelope_digest,
            recipient=recipient,
            status=status,
            issuer=recipient,
            reason=reason,
            ack_document=status in _FIRST_ANSWERS,
            hub_signed=recipient != unit,
            person=person,
        )
        return receipt_id

    def verify_signed(self, stored: StoredMessage, xml: bytes) -> VerifiedReceipt:
        """A receipt signed by a party, checked (size, signature, chain) and about
        ``stored`` (``request.invalid``); who may have signed it is the hub's check."""
        verified = verify_receipt(self.intake(xml), self.trust())
        if str(verified.receipt.message_id) != stored.id:
            raise RequestError("the receipt is about another message", code="request.invalid")
        refuse_foreign_verdicts(verified.receipt)
        return verified

    async def store_signed(
        self, stored: StoredMessage, verified: VerifiedReceipt, unit: str
    ) -> str:
        """Store a :meth:`verify_signed` receipt ``unit`` posted, after its reason and its
        claimed time are checked."""
        r = verified.receipt
        require_reason(r.status, r.reason, stored.id)
        check_claimed_time(r.timestamp, stored.accepted_at, datetime.now(UTC), self.skew)
        # the delivery's own pending item (a successor's answer takes the retired unit's)
        ack = None if r.status is Status.RECALL_REQUESTED else r.recipient
        receipt_id, _ = await self.issuer.store(verified, ack_document=ack)
        return receipt_id

    async def fail(self, stored: StoredMessage, unit: str, reason: str) -> str:
        """The hub's ``failed`` (91) receipt for ``unit``'s delivery (one per delivery,
        however often this is called); the document leaves ``unit``'s pending list."""
        with bound(message_id=stored.id, unit=unit, stage="receipt"):
            receipt_id, _ = await self.issuer.issue(
                message_id=stored.id,
                envelope_digest=stored.envelope_digest,
                recipient=unit,
                status=Status.FAILED,
                issuer=unit,
                reason=reason,
                receipt_id=hub_receipt_id(stored.id, unit, Status.FAILED),
                hub_signed=True,
                ack_document=True,
            )
        return receipt_id

    async def recall(
        self, stored: StoredMessage, sender: str, reason: str | None, person: str | None = None
    ) -> list[str]:
        """The sender's take-back request (13) to every recipient not yet finished
        (``receipt.illegal_transition`` when none is left; ``person``: the clerk who asked)."""
        status = await self.messages.status(stored.id)
        ids: list[str] = []
        for delivery in status.recipients:
            if is_final(delivery.state) or delivery.state == Status.RECALL_REQUESTED.label:
                continue
            receipt_id, _ = await self.issuer.issue(
                message_id=stored.id,
                envelope_digest=stored.envelope_digest,
                recipient=delivery.unit,
                status=Status.RECALL_REQUESTED,
                issuer=sender,
                reason=reason,
                person=person,
            )
            ids.append(receipt_id)
        if not ids:
            raise IllegalTransitionError("every delivery is already finished", message_id=stored.id)
        return ids
