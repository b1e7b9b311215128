"""The submit pipeline, built in one place from config: intake → verify → accept.

Each stage is a small object configured here and called in order; a stage that refuses
raises a typed error, which the caller (the API) answers with its code and changes nothing.

:class:`DocumentSubmit` is the way in for a document the hub seals on a unit's behalf
(metadata and files, or an adapter's unsigned envelope): it builds the envelope, seals
it with the unit's key and runs the flow, answering a resubmitted id with the earlier
acceptance.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from gateway.config import Config
from gateway.directory import Directory
from gateway.envelope.model import Envelope
from gateway.envelope.seal import Sealing
from gateway.errors import DuplicateIdError, GatewayError, NotFoundError
from gateway.logging import bound
from gateway.pdfsig.stage import PdfSignatures, build_pdf_stage
from gateway.pipeline.accept import Accept
from gateway.pipeline.document import FileLike, adopt_envelope, build_envelope
from gateway.pipeline.intake import Intake
from gateway.pipeline.signers import Signers
from gateway.pipeline.verify import Verify
from gateway.pki.keystore import KeyStore
from gateway.pki.trust import TrustStore
from gateway.store import AcceptResult, MessageStore
from gateway.store.blobs import BlobRef
from gateway.store.s3blobs import AnyBlobStore

__all__ = ["DocumentSubmit", "SubmitFlow", "TrustCache", "build_submit_flow"]

log = structlog.get_logger("gateway.pipeline")


class TrustCache:
    """``KeyStore.trust_store()``, re-read as soon as the key store changes.

    Every call compares the key store's generation (``KeyStore.generation``: one ``stat``
    of a file every hub process sharing the home sees), so a revocation made by any
    process or by ``lienthong keys revoke`` is in force from the next verification on. The
    store is also re-read every ``ttl`` seconds (a CRL re-signed before its nextUpdate).
    """

    def __init__(self, keys: KeyStore, ttl: float = 60.0) -> None:
        self.keys = keys
        self.ttl = ttl
        self._store: TrustStore | None = None
        self._generation: object = None
        self._until = 0.0

    def __call__(self) -> TrustStore:
        """The current trust store."""
        generation = self.keys.generation()  # before reading: a change meanwhile re-reads
        expired = time.monotonic() >= self._until
        if self._store is None or generation != self._generation or expired:
            self._store = self.keys.trust_store()
            self._generation = generation
            self._until = time.monotonic() + self.ttl
        return self._store

    def forget(self) -> None:
        """Re-read on next use (after a revocation in this process)."""
        self._store = None


@dataclass(frozen=True)
class SubmitFlow:
    """intake → verify → accept for one envelope."""

    intake: Intake
    verify: Verify
    accept: Accept
    #: PDF signatures checked after verify (``gateway.pdfsig``); None: not checked.
    pdf: PdfSignatures | None = None

    async def __call__(
        self, data: bytes, caller: str, submitted_by: str, *, adapter_ids: bool = False
    ) -> AcceptResult:
        """Run the stages; the accept result, or the typed error of the stage that refused
        (``adapter_ids``: an in-process adapter's envelope, see :class:`Verify`)."""
        with bound(unit=caller, stage="intake"):
            data = self.intake(data)
        with bound(unit=caller, stage="verify"):
            verified = await self.verify(data, caller, adapter_ids=adapter_ids)
        mid = str(verified.envelope.message_id)
        if self.pdf is not None:
            with bound(unit=caller, message_id=mid, stage="pdf"):
                verified = await self.pdf(verified)
        with bound(unit=caller, message_id=mid, stage="accept"):
            result = await self.accept(verified, submitted_by)
            log.info("message.accepted", created=result.created)
            return result


def build_submit_flow(
    config: Config,
    *,
    trust: Callable[[], TrustStore],
    blobs: AnyBlobStore,
    directory: Directory,
    messages: MessageStore,
    on_accepted: Callable[[], None],
) -> SubmitFlow:
    """The submit pipeline of this hub, from ``config.hub`` limits."""
    limits = config.hub
    return SubmitFlow(
        intake=Intake(max_bytes=limits.max_xml_bytes),
        verify=Verify(
            trust,
            blobs,
            window=timedelta(seconds=limits.created_window_seconds),
            max_bytes=limits.max_xml_bytes,
            max_depth=limits.max_xml_depth,
        ),
        accept=Accept(directory, messages, on_accepted=on_accepted),
        pdf=build_pdf_stage(config, blobs, messages.db),
    )


class DocumentSubmit:
    """A document the hub builds and seals for a unit, then submits (see the module)."""

    def __init__(
        self,
        flow: SubmitFlow,
        signers: Signers,
        sealing: Sealing,
        directory: Directory,
        messages: MessageStore,
        blobs: AnyBlobStore,
    ) -> None:
        self.flow = flow
        self.signers = signers
        self.sealing = sealing
        self.directory = directory
        self.messages = messages
        self.blobs = blobs

    async def __call__(
        self,
        unit: str,
        metadata: Mapping[str, Any],
        files: Sequence[FileLike],
        *,
        envelope: Envelope | None = None,
        message_id: str | None = None,
        person: str | None = None,
    ) -> AcceptResult:
        """Build the envelope from ``metadata`` and stored ``files`` (or adopt an adapter's
        ``envelope``), seal it for ``unit``, submit (``Hub.submit_document``); ``person``:
        the clerk who sent it, stored as the message's ``submitted_by``."""
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
            by = person or f"unit:{unit}"
            return await self.flow(xml, unit, by, adapter_ids=envelope is not None)
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
