"""The hub facade: what the HTTP API and the adapters call, and nothing else.

``Hub(config)`` owns the database, directory, message store, blob store, bus, key store,
the submit pipeline, the relay and the mailbox consumers. ``await hub.start()`` makes
the hub's identity if the home is new (CA + hub key), runs migrations, connects the bus,
starts consuming and relaying; ``await hub.stop()`` drains: consumers stop taking
messages and finish the ones they hold, the relay flushes, then everything closes.

Every facade method checks who may do it (:mod:`gateway.facade.authz`), so authorisation lives
in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from cryptography import x509

from gateway.bus import Bus, open_configured_bus
from gateway.config import Config
from gateway.dead_letters import dead_letter_json, resolve_dead_letter
from gateway.dead_letters import not_found as dead_letter_not_found
from gateway.deadlines import DuePolicy
from gateway.deadlines.escalation import Escalation
from gateway.directory import Directory, Principal, changes
from gateway.directory.directory import Unit
from gateway.directory.last_seen import LastSeen, check_days, not_seen_for
from gateway.envelope.model import Attachment, Envelope, Receipt, Status
from gateway.envelope.seal import Sealing
from gateway.errors import (
    AuthError,
    DuplicateIdError,
    ForbiddenError,
    GatewayError,
    IllegalTransitionError,
    NotFoundError,
    ReceiptError,
    RequestError,
    UnroutableError,
)
from gateway.evidence.bundle import build_bundle
from gateway.exports import Export, export_search, overdue_json, unit_summary_json
from gateway.facade import authz
from gateway.logging import bound
from gateway.metrics import HubMetrics
from gateway.pipeline.document import FileLike, UploadedFile, adopt_envelope, build_envelope
from gateway.pipeline.expiry import Expiry
from gateway.pipeline.flow import TrustCache, build_submit_flow
from gateway.pipeline.mailbox import MailboxConsumers
from gateway.pipeline.notify import MailboxSignals
from gateway.pipeline.receipt import ReceiptIssuer, check_claimed_time, hub_receipt_id
from gateway.pipeline.relay import Relay, holder_is_gone, worker_name
from gateway.pipeline.signers import Signers
from gateway.pipeline.states import RULES, is_final
from gateway.pipeline.status import StatusView
from gateway.pipeline.succession import Succession
from gateway.pipeline.unit_services import UnitServices
from gateway.pki.identity import ensure_identity, with_passphrase
from gateway.pki.keystore import KeyStore
from gateway.store import AcceptResult, Database, MessageStore, OutboxRow
from gateway.store.blobs import BlobRef
from gateway.store.idempotency import IdempotencyKeys
from gateway.store.records import SearchFilters, StoredMessage
from gateway.store.retention import OutboxRetention
from gateway.store.s3blobs import open_blob_store
from gateway.store.vacuum import Vacuum
from gateway.text import nfc
from gateway.timestamps.stamper import build_stamper
from gateway.timestamps.store import TimestampStore

__all__ = ["AcceptResult", "AdapterHealthFn", "Hub", "UploadedFile"]

#: The largest mailbox item id (``mailbox_items.item_id`` is an ``INTEGER``).
_MAX_ITEM_ID = 2**31 - 1

log = structlog.get_logger("gateway.hub")

#: Adapter label → ``{"state", "breaker", "last_error", …}`` (``AdapterRunner.health``).
AdapterHealthFn = Callable[[], Awaitable[dict[str, dict[str, Any]]]]

#: Long-polls re-read the store this often (another hub process may have consumed).
_POLL_SECONDS = 2.0
_MAX_WAIT = 60.0
_MAX_LIMIT = 500
#: Statuses that may be a recipient's first answer (which takes the document off its list).
_FIRST_ANSWERS = frozenset(
    {Status.RECEIVED, Status.REJECTED, Status.ACCEPTED, Status.RECALL_AGREED, Status.RECALL_REFUSED}
)


class Hub:
    """One hub process: the facade of ``docs/architecture.md``."""

    def __init__(self, config: Config, *, relay: bool = True, consume: bool = True) -> None:
        self.config = with_passphrase(config)
        self.db = Database(self.config.database_url)
        self.vacuum = Vacuum(
            self.db,
            every_seconds=self.config.database.vacuum_seconds,
            dead_rows=self.config.database.vacuum_dead_rows,
        )
        self.retention = OutboxRetention(
            self.db,
            keep_seconds=self.config.database.outbox_keep_seconds,
            held=self._held_outbox_rows,
        )
        self.blobs = open_blob_store(self.config)
        self.directory = Directory(self.db)
        self.messages = MessageStore(self.db, rules=RULES)
        self.messages.due_policy = DuePolicy.from_config(self.config.deadlines)
        self.idempotency = IdempotencyKeys(self.db)
        self.keys = KeyStore(self.config)
        self.trust = TrustCache(self.keys)
        self.bus: Bus = open_configured_bus(self.config)
        self.signals = MailboxSignals()
        self.signers = Signers(
            self.keys, self.config.hub.unit_code, key_type=self.config.keys.key_type
        )
        self.worker = worker_name()
        self.relay = Relay(self.messages, self._publish, worker=self.worker)
        self.sealing = Sealing(self.config.hub.signing_threads)
        self.receipts = ReceiptIssuer(
            self.signers, self.messages, on_added=self.relay.wake, sealing=self.sealing
        )
        self.flow = build_submit_flow(
            self.config,
            trust=self.trust,
            blobs=self.blobs,
            directory=self.directory,
            messages=self.messages,
            on_accepted=self.relay.wake,
        )
        self.expiry = Expiry(self.messages, self.receipts)
        self.timestamps = TimestampStore(self.db)
        #: RFC 3161 stamps in the background (None: no ``[timestamps] tsa_url``).
        self.stamper = build_stamper(self.config, self.db)
        self.consumers = MailboxConsumers(
            self.bus, self.messages, self.directory, self.signals, self.expiry
        )
        self.directory.retired_units = self.config.hub.retired_units
        self.succession = Succession(self.messages, self.directory.lineage)
        self.escalation = Escalation(self.db, self.config.deadlines, on_notice=self.signals.notify)
        self.status_view = StatusView(self.messages, self.directory)
        #: Sealing, files and the directory for adapters (:class:`gateway.facade.AdapterFacade`).
        self.for_units = UnitServices(
            signers=self.signers,
            sealing=self.sealing,
            receipts=self.receipts,
            blobs=self.blobs,
            directory=self.directory,
            open_mailboxes=self.consumers.sync,
        )
        self.metrics = HubMetrics()
        self.receipts.metrics = self.metrics
        #: Set by ``lienthong serve`` to the adapter runner's health (``/readyz``, ``/metrics``).
        self.adapter_health: AdapterHealthFn | None = None
        self._run_relay = relay
        self._run_consumers = consume
        self._started = False
        #: Writes running beside a response (see :meth:`mailbox`), awaited by :meth:`stop`.
        self._background: set[asyncio.Task[None]] = set()
        #: Called with the unit of every authenticated call and mailbox poll.
        self.last_seen = LastSeen(self.directory.touch, self._beside)

    # -- lifetime ----------------------------------------------------------------------

    async def start(self, *, upgrade: bool = True) -> None:
        """Identity, migrations, bus, consumers, relay."""
        await asyncio.to_thread(ensure_identity, self.keys, self.config)
        if upgrade:
            await self.db.upgrade()
        await self.bus.connect()
        if self._run_consumers:
            await self.consumers.start()
        if self._run_relay:
            await self._recover_local_bus()
            await self._reclaim_leases()
            self.relay.start()
        self.vacuum.start()
        if self.stamper is not None and self._run_relay:
            self.stamper.start()
        # after the local bus's recovery, the only reader of published rows
        self.retention.start()
        if self._run_relay:
            self.escalation.start()
        self._started = True
        log.info("hub.started", unit=self.config.hub.unit_code, worker=self.worker)

    async def stop(self, *, drain_seconds: float = 10.0) -> None:
        """Drain: flush the relay, let the in-process bus empty, stop consuming, close.

        Consumers finish the handlers they are running (their acks go out); with RabbitMQ
        whatever is still queued stays in the durable queues for the next start.
        """
        self._started = False
        self.signals.notify_all()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.relay.stop()
        if self._run_consumers:
            await self._drain_local_bus(drain_seconds)
            await self.consumers.stop()
        await self.bus.close()
        await self.vacuum.stop()
        if self.stamper is not None:
            await self.stamper.stop()
        await self.retention.stop()
        await self.escalation.stop()
        self.sealing.close()
        await self.blobs.close()
        await self.db.dispose()

    @property
    def _local_bus(self) -> bool:
        """The in-process bus, whose messages live in this process's memory only."""
        return self.config.bus.url.startswith("local")

    async def _recover_local_bus(self) -> int:
        """The local bus kept its messages in memory: after a crash, what was published
        but never reached a mailbox is gone. Hand those rows back to the relay (consumers
        are idempotent, so a row published twice still has one effect)."""
        if not self._local_bus:
            return 0
        count = 0
        while rows := await self.messages.unconsumed_published(500):
            done = await self.messages.republish([r.id for r in rows])
            if not done:
                break
            count += done
        if count:
            log.warning("hub.local_bus_recovered", republished=count)
        return count

    async def _reclaim_leases(self) -> int:
        """Outbox rows leased to a process of this host that is gone (killed, crashed) go
        back to the outbox now, instead of waiting for their lease to run out."""
        gone = [h for h in await self.messages.lease_holders() if holder_is_gone(h, self.worker)]
        count = await self.messages.release_holders(gone)
        if count:
            log.warning("hub.leases_reclaimed", rows=count, holders=gone)
        return count

    async def _held_outbox_rows(self) -> set[int]:
        """Outbox rows whose message only this process's memory holds: the local bus's
        dead letters (RabbitMQ keeps its own). Their rows stay until a restart's recovery
        sends them again (see :mod:`gateway.store.retention`)."""
        if not self._local_bus:
            return set()
        letters = await self.bus.dead_letters(limit=await self.bus.dead_letter_count())
        return {row for d in letters if (row := _outbox_row_of(d.message_id)) is not None}

    async def _drain_local_bus(self, seconds: float) -> None:
        """The local bus lives in memory: consume what it holds before stopping."""
        if not self._local_bus:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while any((await self.bus.queue_depths()).values()):  # noqa: ASYNC110
                    await asyncio.sleep(0.02)

    async def __aenter__(self) -> Hub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _publish(self, row: OutboxRow) -> None:
        """One outbox row onto the bus; a unit added since start gets its mailbox now."""
        try:
            await self.bus.publish(
                row.topic, row.routing_key, row.body, message_id=_bus_message_id(row)
            )
        except UnroutableError:
            await self._open_mailbox(row.routing_key)
            await self.bus.publish(
                row.topic, row.routing_key, row.body, message_id=_bus_message_id(row)
            )

    async def _open_mailbox(self, unit: str) -> None:
        await self.bus.declare_mailbox(unit)
        if self._run_consumers:
            await self.consumers.add(unit)

    # -- authentication ----------------------------------------------------------------

    async def authenticate_token(self, token: str) -> Principal:
        """Who a bearer token stands for (``auth.invalid_token``)."""
        return await self.directory.authenticate(token)

    async def authenticate_certificate(self, cert: x509.Certificate) -> Principal:
        """A TLS client certificate from the hub CA → its unit (``auth.invalid_certificate``)."""
        try:
            unit = self.trust().check(cert)
        except GatewayError as exc:
            raise AuthError(str(exc.message), code="auth.invalid_certificate") from exc
        if not await self.directory.exists(unit):
            raise AuthError(f"{unit} is not in the directory", code="auth.invalid_certificate")
        if not await self.directory.lineage.active(unit):
            raise AuthError(f"unit {unit} is retired", code="auth.unit_retired")
        return Principal(unit=unit)

    # -- submitting --------------------------------------------------------------------

    async def submit_envelope(self, p: authz.PrincipalLike, xml: bytes) -> AcceptResult:
        """intake → verify → accept; sender == caller == signer."""
        unit = await self._active_unit(p)
        return await self.flow(xml, unit, f"unit:{unit}")

    async def submit_document(
        self,
        p: authz.PrincipalLike,
        metadata: Mapping[str, Any],
        files: Sequence[FileLike],
        *,
        envelope: Envelope | None = None,
        message_id: str | None = None,
    ) -> AcceptResult:
        """Build the envelope from metadata + stored files, seal it for the unit, submit.

        ``message_id`` (an ``Idempotency-Key`` request) is the id to give the message: if
        this unit's message with that id is stored already (a retry whose first answer was
        never stored), the answer is that message, ``created=False``.

        An adapter may pass its own unsigned ``envelope`` instead of ``metadata`` (e.g.
        mapped from edXML): its message id and extensions are kept, and submitting the
        same id again answers ``created=False`` (the hub's seal differs each time, so a
        resubmit is recognised by id and sender, not by digest).
        """
        unit = await self._active_unit(p)
        with bound(unit=unit, stage="seal"):
            if envelope is None:
                groups = await self._groups_named(metadata.get("to"))
                env = build_envelope(unit, metadata, files, is_group=groups.__contains__)
                if message_id is not None:
                    env = dataclasses.replace(env, message_id=uuid.UUID(message_id))
                    if (known := await self._resubmitted(unit, message_id)) is not None:
                        return known
            else:
                to = list(envelope.recipients + envelope.groups)
                groups = await self._groups_named(to)
                env = adopt_envelope(unit, envelope, files, is_group=groups.__contains__)
                if (known := await self._resubmitted(unit, str(env.message_id))) is not None:
                    return known
            key, cert = await self.signers.for_document(unit)
            xml = await self.sealing.seal(env, key, cert)
        try:
            return await self.flow(xml, unit, f"unit:{unit}", adapter_ids=envelope is not None)
        except DuplicateIdError:  # a concurrent resubmit of the same id won the race
            if envelope is None and message_id is None:
                raise
            if (known := await self._resubmitted(unit, str(env.message_id))) is None:
                raise
            return known

    async def finish_upload(self, refs: Sequence[BlobRef], *, refused: bool) -> int:
        """Let go of an API upload's blobs (held since they were stored); after a refusal,
        remove those no other upload holds and no stored message names. A failure here
        only leaves them behind, logged. How many were removed."""
        free = self.blobs.release(refs)
        if not refused or not free:
            return 0
        try:
            kept = await self.messages.referenced_blobs(set(free))
            return await self.blobs.discard_uploaded(
                {sha: inodes for sha, inodes in free.items() if sha not in kept}
            )
        except (GatewayError, OSError):
            log.warning("hub.upload_cleanup_failed", blobs=len(free), exc_info=True)
            return 0

    async def _resubmitted(self, unit: str, message_id: str) -> AcceptResult | None:
        """The earlier acceptance of ``message_id`` if ``unit`` sent it; another sender's
        message with that id is ``message.duplicate_id``."""
        try:
            stored = await self.messages.get(message_id)
        except NotFoundError:
            return None
        if stored.sender != unit:
            raise DuplicateIdError("this message id was already used")
        return AcceptResult(message_id, False)

    async def _groups_named(self, to: Any) -> set[str]:
        codes = to.split(",") if isinstance(to, str) else to
        if not isinstance(codes, list):
            return set()
        names = {c.strip() for c in codes if isinstance(c, str)}
        return {c for c in names if c and not await self.directory.exists(c)}

    # -- receipts ----------------------------------------------------------------------

    async def post_receipt(
        self,
        p: authz.PrincipalLike,
        message_id: str,
        *,
        status: str | None,
        reason: str | None = None,
        xml: bytes | None = None,
    ) -> str:
        """A recipient's status (or its signed receipt XML); 13 from the sender."""
        stored = await self._visible(p, message_id)
        if xml is not None:
            return await self._post_signed_receipt(p, stored, xml)
        if status is None:
            raise RequestError("a status is needed", code="request.missing_field")
        parsed = Status.parse(status)
        _require_reason(parsed, reason, message_id)
        parties = await self._parties(p, stored)
        unit = authz.require_party(p, message_id, stored.sender, parties, parsed)
        if parsed is Status.RECALL_REQUESTED:
            return (await self._recall(stored, unit, reason))[0]
        # a successor's answer also answers the deliveries it took over from retired
        # units (the hub signs those for them); those already answered are left alone
        taken = await self.directory.lineage.stands_for(unit, stored.recipients)
        first, *others = ([unit] if unit in stored.recipients else []) + taken
        with bound(message_id=message_id, unit=unit, stage="receipt"):
            receipt_id = await self._answer(stored, unit, first, parsed, reason)
            for recipient in others:
                try:
                    await self._answer(stored, unit, recipient, parsed, reason)
                except ReceiptError as exc:
                    log.info("receipt.not_for_predecessor", recipient=recipient, error=exc.code)
        return receipt_id

    async def _answer(
        self, stored: StoredMessage, unit: str, recipient: str, status: Status, reason: str | None
    ) -> str:
        """``unit``'s ``status`` on ``recipient``'s delivery (its own, or a retired one's)."""
        receipt_id, _ = await self.receipts.issue(
            message_id=stored.id,
            envelope_digest=stored.envelope_digest,
            recipient=recipient,
            status=status,
            issuer=recipient,
            reason=reason,
            ack_document=status in _FIRST_ANSWERS,
            hub_signed=recipient != unit,
        )
        return receipt_id

    async def _post_signed_receipt(
        self, p: authz.PrincipalLike, stored: StoredMessage, xml: bytes
    ) -> str:
        from gateway.envelope.verify import verify_receipt

        unit = authz.require_unit(p)
        verified = verify_receipt(self.flow.intake(xml), self.trust())
        r = verified.receipt
        if str(r.message_id) != stored.id:
            raise RequestError("the receipt is about another message", code="request.invalid")
        authz.require_signed_receipt(
            p, stored.id, stored.sender, stored.recipients, r, verified.signer_unit
        )
        _require_reason(r.status, r.reason, stored.id)
        skew = timedelta(seconds=self.config.hub.receipt_clock_skew_seconds)
        check_claimed_time(r.timestamp, stored.accepted_at, datetime.now(UTC), skew)
        ack = None if r.status is Status.RECALL_REQUESTED else unit
        receipt_id, _ = await self.receipts.store(verified, ack_document=ack)
        return receipt_id

    async def report_failure(self, p: authz.PrincipalLike, message_id: str, reason: str) -> str:
        """The recipient's adapter could not deliver the document, for good: the hub
        signs a ``failed`` (91) receipt for that delivery (one per delivery, however often
        this is called) and takes the document off the recipient's pending list."""
        stored = await self._visible(p, message_id)
        unit = authz.require_unit(p)
        if unit not in stored.recipients:
            raise ForbiddenError(
                f"{unit} is not a recipient of this message",
                code="receipt.wrong_party",
                message_id=message_id,
            )
        with bound(message_id=message_id, unit=unit, stage="receipt"):
            receipt_id, _ = await self.receipts.issue(
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
        self, p: authz.PrincipalLike, message_id: str, reason: str | None
    ) -> list[str]:
        """The sender's take-back request (13) to every recipient not yet finished."""
        stored = await self._visible(p, message_id)
        unit = authz.require_party(
            p, message_id, stored.sender, stored.recipients, Status.RECALL_REQUESTED
        )
        return await self._recall(stored, unit, reason)

    async def _recall(self, stored: StoredMessage, sender: str, reason: str | None) -> list[str]:
        status = await self.messages.status(stored.id)
        ids: list[str] = []
        for delivery in status.recipients:
            if is_final(delivery.state) or delivery.state == Status.RECALL_REQUESTED.label:
                continue
            receipt_id, _ = await self.receipts.issue(
                message_id=stored.id,
                envelope_digest=stored.envelope_digest,
                recipient=delivery.unit,
                status=Status.RECALL_REQUESTED,
                issuer=sender,
                reason=reason,
            )
            ids.append(receipt_id)
        if not ids:
            raise IllegalTransitionError("every delivery is already finished", message_id=stored.id)
        return ids

    # -- mailbox -----------------------------------------------------------------------

    async def mailbox(
        self, p: authz.PrincipalLike, *, wait: float, limit: int, record_later: bool = False
    ) -> list[dict[str, Any]]:
        """Pending items, waiting up to ``wait`` seconds for the first one.

        Documents fetched for the first time become ``delivered``. With ``record_later``
        (the HTTP API) that write runs beside the response instead of before it: the
        recipient does not wait for the write lane, and the state follows within
        milliseconds. If the write fails, the document is still unacked and not marked
        fetched, so the next fetch returns it again and records it then.
        """
        unit = await self._active_unit(p)
        self.last_seen(unit)
        limit = max(1, min(limit, _MAX_LIMIT))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, min(wait, _MAX_WAIT))
        with self.signals.listen(unit) as listener:
            while True:
                listener.clear()  # what commits from here on wakes the wait below at once
                items = await self.succession.pending(unit, limit)
                remaining = deadline - loop.time()
                if items or remaining <= 0 or not self._started:
                    break
                await listener.wait(min(remaining, _POLL_SECONDS))
        fresh, fetched = [], []
        for item in items:
            if item.kind == "document" and item.fetched_at is None:
                if await self.expiry(item.message_id, item.unit):
                    await self.messages.ack_item(item.unit, item.item_id)
                    continue
                fetched.append(item)
            fresh.append(self.succession.to_json(unit, item))
        if record_later and fetched:
            recording = self.succession.mark_fetched(fetched, lazy=True)
            self._beside(recording, "mailbox.record_failed")
        else:
            await self.succession.mark_fetched(fetched, lazy=False)
        return fresh

    def _beside(self, write: Coroutine[Any, Any, None], failure: str) -> None:
        """Run ``write`` in the background (awaited by :meth:`stop`); log its failure."""
        task = asyncio.create_task(write)
        self._background.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._background.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.warning(failure, error=repr(finished.exception()))

        task.add_done_callback(done)

    async def ack_item(self, p: authz.PrincipalLike, item_id: str) -> None:
        """Take an item off the caller's pending list."""
        await self.succession.ack_items(authz.require_unit(p), [_item_number(item_id)])

    async def ack_items(self, p: authz.PrincipalLike, item_ids: Sequence[object]) -> None:
        """Take several items off the caller's pending list in one transaction: all of them,
        or none when one is not the caller's (``mailbox.item_not_found``)."""
        unit = authz.require_unit(p)
        await self.succession.ack_items(unit, [_item_number(i) for i in item_ids])

    # -- reading -----------------------------------------------------------------------

    async def _visible(self, p: authz.PrincipalLike, message_id: str) -> StoredMessage:
        try:
            uuid.UUID(message_id)
        except (TypeError, ValueError) as exc:
            raise NotFoundError(f"no message {message_id!r}", code="message.not_found") from exc
        stored = await self.messages.get(message_id)
        authz.require_visible(p, message_id, stored.sender, await self._parties(p, stored))
        return stored

    async def _active_unit(self, p: authz.PrincipalLike) -> str:
        """The caller's unit, unless it is retired now (``auth.unit_retired``): an adapter
        acting for a retired unit stops at the instant, as its tokens and certificates do."""
        unit = authz.require_unit(p)
        if not await self.directory.lineage.active(unit):
            raise AuthError(f"unit {unit} is retired", code="auth.unit_retired")
        return unit

    async def _parties(self, p: authz.PrincipalLike, stored: StoredMessage) -> tuple[str, ...]:
        """The message's recipients, and the caller when it stands for a retired one."""
        unit = p.unit
        outside = unit and not p.operator and unit not in (stored.sender, *stored.recipients)
        if outside and unit and await self.directory.lineage.stands_for(unit, stored.recipients):
            return (*stored.recipients, unit)
        return stored.recipients

    async def envelope_xml(self, p: authz.PrincipalLike, message_id: str) -> bytes:
        """The signed envelope exactly as accepted."""
        await self._visible(p, message_id)
        return await self.messages.envelope_xml(message_id)

    async def receipt_xml(self, p: authz.PrincipalLike, receipt_id: str) -> bytes:
        """A stored receipt's signed XML, for the message's sender, that delivery's
        recipient, and operators; anyone else gets ``receipt.not_found``."""
        try:
            stored = await self.messages.get_receipt(str(uuid.UUID(receipt_id)))
            message = await self.messages.get(stored.message_id)
        except (TypeError, ValueError, NotFoundError) as exc:
            raise NotFoundError(f"no receipt {receipt_id!r}", code="receipt.not_found") from exc
        if not authz.sees_message(p, message.sender, [stored.recipient]):
            raise NotFoundError(f"no receipt {receipt_id!r}", code="receipt.not_found")
        return stored.xml

    async def attachment(
        self, p: authz.PrincipalLike, message_id: str, name: str
    ) -> tuple[Attachment, Path]:
        """The manifest entry and the blob's path, for a streamed (Range) download."""
        stored = await self._visible(p, message_id)
        for a in stored.attachments:
            if nfc(a.name) == nfc(name):  # one name, however the client spelled it
                attachment = Attachment(a.name, a.media_type, a.size, a.sha256)
                return attachment, await self.blobs.local_path(a.sha256)
        raise NotFoundError(
            f"no attachment {name!r}", code="message.attachment_not_found", message_id=message_id
        )

    async def status(self, p: authz.PrincipalLike, message_id: str) -> dict[str, Any]:
        """The DESIGN.md status JSON; a recipient sees its own delivery only."""
        stored = await self._visible(p, message_id)
        mine = p.unit if (p.unit and not p.operator and p.unit != stored.sender) else None
        status = await self.status_view(message_id, only=mine)
        if authz.scope_units(p) is not None:  # a leader: the deliveries in its scope
            shown = set(authz.visible_recipients(p, stored.sender, stored.recipients))
            status["recipients"] = [r for r in status["recipients"] if r["unit"] in shown]
        seen = await self.directory.last_seen_of([r["unit"] for r in status["recipients"]])
        for recipient in status["recipients"]:  # "why no receipt?": has it called at all?
            at = seen.get(recipient["unit"])
            recipient["last_seen_at"] = at.isoformat() if at else None
        pdf = self.flow.pdf
        status["pdf_signatures"] = await pdf.report(message_id) if pdf is not None else None
        status["timestamps"] = await self.timestamps.counts(message_id)
        return status

    async def evidence(self, p: authz.PrincipalLike, message_id: str) -> Path:
        """The evidence bundle of a message its sender, recipients and operators may have
        (``gateway.evidence``, docs/evidence.md), written to a temporary file under the
        home that the caller removes."""
        await self._visible(p, message_id)
        path = self.config.home / f".evidence-{uuid.uuid4().hex}.zip"
        try:
            with path.open("xb") as target:
                await build_bundle(self, message_id, target)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    async def search(
        self,
        p: authz.PrincipalLike,
        filters: SearchFilters | None = None,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """Operators only: ``{"items": [...], "next_cursor"}``."""
        authz.require_operator(p)
        page = await self.messages.search(
            authz.scoped_search(p, filters), cursor, max(1, min(limit, _MAX_LIMIT))
        )
        return page.to_json()

    async def unit_summaries(
        self, p: authz.PrincipalLike, unit: str | None = None, *, not_seen_days: int | None = None
    ) -> list[dict[str, Any]]:
        """Operators: per-unit counters (sent, received, pending, deliveries by state) and
        last-seen times; with ``not_seen_days``, only units not seen for that many days."""
        authz.require_operator(p)
        summaries = [
            s for s in await self.messages.unit_summaries(unit) if authz.sees_unit(p, s.unit)
        ]
        if not_seen_days is not None:
            days = check_days(not_seen_days)
            summaries = [s for s in summaries if not_seen_for(days, s.last_seen_at)]
        return [unit_summary_json(s) for s in summaries]

    async def overdue(self, p: authz.PrincipalLike, *, limit: int = 500) -> list[dict[str, Any]]:
        """Operators: deliveries past their document's due date without a final status."""
        authz.require_operator(p)
        rows = await self.messages.overdue(limit=max(1, min(limit, 10_000)))
        return [overdue_json(r) for r in rows if authz.sees_unit(p, r.recipient)]

    async def search_export(
        self, p: authz.PrincipalLike, filters: SearchFilters | None, fmt: str
    ) -> Export:
        """Operators: every hit of a search as a CSV or XLSX file (``fmt``)."""
        authz.require_operator(p)
        return await export_search(self.messages, authz.scoped_search(p, filters), fmt)

    async def dead_letters(self, p: authz.PrincipalLike) -> list[dict[str, Any]]:
        """Operators of the whole hub: what the bus gave up on (at most 500), with why."""
        authz.require_whole_hub(p)
        return [dead_letter_json(d) for d in await self.bus.dead_letters(limit=500)]

    async def resolve_dead_letter(self, p: authz.PrincipalLike, dead_id: str, action: str) -> None:
        """Operators: retry or discard one dead letter (audited); ``dead_letter.not_found``."""
        operator = authz.require_whole_hub(p)
        if not await resolve_dead_letter(self.db, self.bus, operator, dead_id, action):
            raise dead_letter_not_found(dead_id)

    # -- directory changes -------------------------------------------------------------

    async def change_unit(
        self, p: authz.PrincipalLike, code: str, action: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Operators: rename, move, retire, merge, recode or split ``code`` (audited); the
        unit it made or changed, with its lineage (not a leader: the whole hub's)."""
        operator = authz.require_whole_hub(p)
        make = changes.from_fields(action, code, fields)
        unit = await self.directory.change(make, actor=f"operator:{operator}")
        return await self.directory.describe(unit.code)

    async def unit_lineage(self, p: authz.PrincipalLike, code: str) -> dict[str, Any]:
        """Operators: one unit with its validity, predecessors and successors (a leader:
        a unit of its scope; another is ``directory.unknown_unit``)."""
        authz.require_operator(p)
        if not authz.sees_unit(p, code):
            raise NotFoundError(f"no unit {code[:40]!r}", code="directory.unknown_unit")
        return await self.directory.describe(code)

    # -- for adapters: sealing, files, the directory (gateway/pipeline/unit_services.py) --

    async def store_file(
        self, p: authz.PrincipalLike, data: bytes | AsyncIterable[bytes]
    ) -> BlobRef:
        """A unit's file into the blob store, for a later submit."""
        return await self.for_units.store_file(p, data)

    async def seal_envelope(self, p: authz.PrincipalLike, envelope: Envelope) -> bytes:
        """``envelope`` signed with the key of its sender, the caller's unit."""
        return await self.for_units.seal_envelope(p, envelope)

    async def seal_receipt(self, p: authz.PrincipalLike, receipt: Receipt) -> bytes:
        """``receipt`` signed with the key of its issuer, the caller's unit."""
        return await self.for_units.seal_receipt(p, receipt)

    async def units(self) -> list[Unit]:
        """Every unit of the directory, by code."""
        return await self.directory.list()

    async def unit(self, code: str) -> Unit:
        """One unit (``directory.unknown_unit`` if there is none)."""
        return await self.directory.get(code)

    async def units_below(self, code: str) -> list[Unit]:
        """Every unit below ``code``, at any depth."""
        return await self.directory.descendants(code)

    async def add_unit_below(
        self, p: authz.PrincipalLike, code: str, name: str, parent: str, *, actor: str
    ) -> Unit:
        """Add ``code`` under the caller's unit or one below it; its mailbox opens now."""
        return await self.for_units.add_unit_below(p, code, name, parent, actor=actor)

    async def ready(self) -> dict[str, bool]:
        """Readiness of the parts: database, bus, adapters (no circuit breaker open), and
        room on the blob store's disk (``storage``)."""
        try:
            database = await self.db.ping()
        except GatewayError:
            database = False
        adapters = True
        if self.adapter_health is not None:
            report = await self.adapter_health()
            adapters = not any(h.get("breaker", "closed") != "closed" for h in report.values())
        storage = await asyncio.to_thread(self.blobs.has_space)
        return {
            "database": database,
            "bus": self.bus.is_connected,
            "adapters": adapters,
            "storage": storage,
        }


def _bus_message_id(row: OutboxRow) -> str:
    """Unique per mailbox item: documents by (message, recipient), receipts by receipt id."""
    return f"{row.message_id}.{row.routing_key}.{row.id}"


def _outbox_row_of(bus_message_id: str) -> int | None:
    """The outbox row id in a :func:`_bus_message_id` (``None`` for any other id)."""
    last = bus_message_id.rpartition(".")[2]
    return int(last) if last.isdigit() else None


def _item_number(item_id: object) -> int:
    """A mailbox item id as given by a caller (its text or the number), else
    ``mailbox.item_not_found``. Ids are 32-bit (the column is an ``INTEGER``): a larger
    number reaching PostgreSQL would fail the statement as a driver error, and with it every
    write of its group."""
    number = -1
    if isinstance(item_id, str) and item_id.isascii() and item_id.isdigit() and len(item_id) < 11:
        number = int(item_id)
    elif isinstance(item_id, int) and not isinstance(item_id, bool):
        number = item_id
    if 0 <= number <= _MAX_ITEM_ID:
        return number
    raise NotFoundError(f"no item {str(item_id)[:40]!r}", code="mailbox.item_not_found")


def _require_reason(status: Status, reason: str | None, message_id: str) -> None:
    """A rejection (02) says why, whichever way it comes (a status or a signed receipt)."""
    if status is Status.REJECTED and not (reason and reason.strip()):
        raise ReceiptError(
            "a rejection (02) needs a reason: say why",
            code="receipt.reason_required",
            http_status=422,
            message_id=message_id,
        )
