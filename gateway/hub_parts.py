"""The parts of one hub process, built from the config, and their lifetime.

:class:`HubParts` builds the database, directory, message store, blob store, bus, key
store, the pipeline's stages and the background loops (relay, mailbox consumers, vacuum,
outbox retention, timestamps, escalation), each given the parts it needs and nothing of
the hub. :meth:`HubParts.start` makes the hub's identity if the home is new (CA + hub
key), runs migrations, connects the bus, starts consuming and relaying;
:meth:`HubParts.stop` drains: waiting fetches answer, consumers stop taking messages and
finish the ones they hold, the relay flushes, then everything closes.
:class:`gateway.hub.Hub` is these parts plus the authorising facade.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Self

import structlog

from gateway.bus import Bus, open_configured_bus
from gateway.bus.local import LocalRecovery
from gateway.config import Config
from gateway.deadlines import DuePolicy
from gateway.deadlines.escalation import Escalation
from gateway.directory import Directory
from gateway.directory.last_seen import LastSeen
from gateway.directory.people import People
from gateway.envelope.seal import Sealing
from gateway.errors import GatewayError
from gateway.metrics import HubMetrics
from gateway.pdfsig.receipt import ReceiptVerdicts
from gateway.pipeline.admission import Admission, AdmissionLimits, backlog_reader
from gateway.pipeline.deliver import Background, Deliver
from gateway.pipeline.expiry import Expiry
from gateway.pipeline.flow import DocumentSubmit, TrustCache, build_submit_flow
from gateway.pipeline.mailbox import MailboxConsumers
from gateway.pipeline.notify import MailboxSignals
from gateway.pipeline.peer_wakeups import PeerWakeups
from gateway.pipeline.receipt import ReceiptDesk, ReceiptIssuer
from gateway.pipeline.relay import BusPublisher, Relay, outbox_row_of, reclaim_leases, worker_name
from gateway.pipeline.signers import Signers
from gateway.pipeline.states import RULES
from gateway.pipeline.status import StatusView
from gateway.pipeline.succession import Succession
from gateway.pipeline.unit_services import UnitServices
from gateway.pki.identity import ensure_identity, with_passphrase
from gateway.pki.keystore import KeyStore
from gateway.store import Database, MessageStore
from gateway.store.blobready import storage_ready
from gateway.store.idempotency import IdempotencyKeys
from gateway.store.retention import OutboxRetention
from gateway.store.s3blobs import open_blob_store
from gateway.store.vacuum import Vacuum
from gateway.timestamps.stamper import build_stamper
from gateway.timestamps.store import TimestampStore

__all__ = ["AdapterHealthFn", "HubParts"]

log = structlog.get_logger("gateway.hub")

#: Adapter label → ``{"state", "breaker", "last_error", …}`` (``AdapterRunner.health``).
AdapterHealthFn = Callable[[], Awaitable[dict[str, dict[str, Any]]]]


class HubParts:
    """Every part of one hub process (see the module docstring)."""

    def __init__(self, config: Config, *, relay: bool = True, consume: bool = True) -> None:
        self.config = config = with_passphrase(config)
        self.db = db = Database(config.database_url)
        self.vacuum = Vacuum(
            db,
            every_seconds=config.database.vacuum_seconds,
            dead_rows=config.database.vacuum_dead_rows,
        )
        self.blobs = open_blob_store(config)
        #: The gate in front of every submission (``[hub] max_backlog`` and company).
        self.admission = Admission(
            AdmissionLimits(
                max_inflight=config.hub.max_inflight_submissions,
                max_backlog=config.hub.max_backlog,
                retry_after=config.hub.overload_retry_after_seconds,
                target_wait=config.hub.target_wait_seconds,
            ),
            backlog_reader(db),
        )
        self.directory = directory = Directory(db)
        directory.retired_units = config.hub.retired_units
        #: Clerks' own accounts of a unit (the web mailbox's password login).
        self.people = People(db)
        self.messages = messages = MessageStore(db, rules=RULES)
        messages.due_policy = DuePolicy.from_config(config.deadlines)
        self.idempotency = IdempotencyKeys(db)
        self.keys = KeyStore(config)
        self.trust = TrustCache(self.keys)
        self.bus: Bus = open_configured_bus(config)
        self.local_bus = LocalRecovery(
            self.bus, messages, outbox_row_of, enabled=config.bus.url.startswith("local")
        )
        self.retention = OutboxRetention(
            db, keep_seconds=config.database.outbox_keep_seconds, held=self.local_bus.held_rows
        )
        self.signals = MailboxSignals()
        self.peers = PeerWakeups(db, self.signals)
        if config.hub.wake_peers and db.is_postgresql:
            self.signals.peers = self.peers.announce
        self.signers = Signers(self.keys, config.hub.unit_code, key_type=config.keys.key_type)
        self.sealing = Sealing(config.hub.signing_threads)
        self.metrics = HubMetrics()
        self.receipts = ReceiptIssuer(self.signers, messages, sealing=self.sealing)
        self.receipts.metrics = self.metrics
        self.expiry = Expiry(messages, self.receipts)
        self.consumers = MailboxConsumers(self.bus, messages, directory, self.signals, self.expiry)
        self.worker = worker_name()
        publisher = BusPublisher(self.bus, self.consumers if consume else None)
        self.relay = Relay(messages, publisher, worker=self.worker)
        self.receipts.on_added = self.relay.wake
        self.flow = flow = build_submit_flow(
            config,
            trust=self.trust,
            blobs=self.blobs,
            directory=directory,
            messages=messages,
            on_accepted=self.relay.wake,
        )
        self.documents = DocumentSubmit(
            flow, self.signers, self.sealing, directory, messages, self.blobs
        )
        if flow.pdf is not None:  # the receipts the hub builds carry the PDF verdicts
            self.receipts.extensions = ReceiptVerdicts(flow.pdf.report)
        skew = timedelta(seconds=config.hub.receipt_clock_skew_seconds)
        self.receipt_desk = ReceiptDesk(
            self.receipts,
            messages,
            directory.lineage.stands_for,
            trust=self.trust,
            intake=flow.intake,
            skew=skew,
        )
        self.timestamps = TimestampStore(db)
        #: RFC 3161 stamps in the background (None: no ``[timestamps] tsa_url``).
        self.stamper = build_stamper(config, db)
        self.succession = Succession(messages, directory.lineage)
        self.escalation = Escalation(
            db, config.deadlines, on_notice=self.signals.notify, home=config.home
        )
        self.status_view = StatusView(
            messages,
            directory,
            pdf=flow.pdf.report if flow.pdf is not None else None,
            timestamps=self.timestamps.counts,
        )
        #: Sealing, files and the directory for adapters (:class:`gateway.facade.AdapterFacade`).
        self.for_units = UnitServices(
            signers=self.signers,
            sealing=self.sealing,
            receipts=self.receipts,
            blobs=self.blobs,
            directory=directory,
            open_mailboxes=self.consumers.sync,
        )
        #: Writes running beside a response, awaited by :meth:`stop`.
        self.background = Background()
        self.deliver = Deliver(
            messages, self.succession, self.signals, self.expiry, self.background
        )
        #: Set by ``lienthong serve`` to the adapter runner's health (``/readyz``, ``/metrics``).
        self.adapter_health: AdapterHealthFn | None = None
        #: Called with the unit of every authenticated call and mailbox poll.
        self.last_seen = LastSeen(directory.touch, self.background)
        self._run_relay = relay
        self._run_consumers = consume

    async def start(self, *, upgrade: bool = True) -> None:
        """Identity, migrations, bus, consumers, relay."""
        await asyncio.to_thread(ensure_identity, self.keys, self.config)
        if upgrade:
            await self.db.upgrade()
        await self.bus.connect()
        if self.signals.peers is not None:
            await self.peers.start()
        if self._run_consumers:
            await self.consumers.start()
        if self._run_relay:
            await self.local_bus.recover()
            await reclaim_leases(self.messages, self.worker)
            self.relay.start()
        self.vacuum.start()
        self.admission.start()
        if self.stamper is not None and self._run_relay:
            self.stamper.start()
        # after the local bus's recovery, the only reader of published rows
        self.retention.start()
        if self._run_relay:
            self.escalation.start()
        self.deliver.open = True
        log.info("hub.started", unit=self.config.hub.unit_code, worker=self.worker)

    async def stop(self, *, drain_seconds: float = 10.0) -> None:
        """Drain: flush the relay, let the in-process bus empty, stop consuming, close.

        Consumers finish the handlers they are running (their acks go out); with RabbitMQ
        whatever is still queued stays in the durable queues for the next start.
        """
        self.deliver.close()
        await self.background.wait()
        await self.relay.stop()
        if self._run_consumers:
            await self.local_bus.drain(drain_seconds)
            await self.consumers.stop()
        await self.bus.close()
        await self.vacuum.stop()
        await self.admission.stop()
        if self.stamper is not None:
            await self.stamper.stop()
        await self.retention.stop()
        await self.escalation.stop()
        await self.peers.stop()
        self.sealing.close()
        await self.blobs.close()
        await self.db.dispose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def ready(self) -> dict[str, bool]:
        """Readiness of the parts: database, bus, adapters (no circuit breaker open), and
        the blob store (``storage``: room on the home's disk, or the object store's bucket
        answering, :mod:`gateway.store.blobready`)."""
        try:
            database = await self.db.ping()
        except GatewayError:
            database = False
        adapters = True
        if self.adapter_health is not None:
            report = await self.adapter_health()
            adapters = not any(h.get("breaker", "closed") != "closed" for h in report.values())
        storage = await storage_ready(self.blobs)
        return {
            "database": database,
            "bus": self.bus.is_connected,
            "adapters": adapters,
            "storage": storage,
        }
