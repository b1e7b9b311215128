"""The submit pipeline, built in one place from config: intake → verify → accept.

Each stage is a small object configured here and called in order; a stage that refuses
raises a typed error, which the caller (the API) answers with its code and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog

from gateway.config import Config
from gateway.directory import Directory
from gateway.logging import bound
from gateway.pdfsig.stage import PdfSignatures, build_pdf_stage
from gateway.pipeline.accept import Accept
from gateway.pipeline.intake import Intake
from gateway.pipeline.verify import Verify
from gateway.pki.keystore import KeyStore
from gateway.pki.trust import TrustStore
from gateway.store import AcceptResult, MessageStore
from gateway.store.s3blobs import AnyBlobStore

__all__ = ["SubmitFlow", "TrustCache", "build_submit_flow"]

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
