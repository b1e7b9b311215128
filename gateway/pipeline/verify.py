"""Stage 2, verify: the signature, the chain, the sender, the times, the attachments.

The envelope is believed only as far as the signature covers it and the hub's trust store
(CA + CRL) vouches for the signer. On top of the signature the hub requires:

- the sender is one unit three ways: the authenticated caller, the signing certificate's
  unit, the envelope's sender field (``envelope.sender_mismatch``);
- ``created`` within the configured window of now (``envelope.created_out_of_window``);
- not past ``expires`` (``envelope.expired``);
- an edXML DocumentId carried in the extensions names the sender as its issuer
  (``edxml.bad_document_id``), and a name-based (UUIDv5) message id is the one derived
  from it (``envelope.bad_message_id``): ids derived from outside data are the sender's
  own, so no unit can take another's. An in-process adapter may mint its own
  name-based ids (``adapter_ids``);
- every attachment of the manifest is in the blob store with its digest and size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from gateway.edxml.ids import check_document_id, message_uuid
from gateway.edxml.mapping import edxml_document_of
from gateway.envelope.attachments import check_attachments, hash_file
from gateway.envelope.model import Envelope
from gateway.envelope.verify import VerifiedEnvelope, verify_envelope
from gateway.errors import EnvelopeError
from gateway.pki.trust import TrustStore
from gateway.store.blobs import BlobStore
from gateway.store.s3blobs import AnyBlobStore

__all__ = ["Verify"]

#: Envelopes larger than this are verified in a worker thread (the loop stays responsive).
_THREAD_THRESHOLD = 256 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


class BlobFiles:
    """The blob store seen through ``check_attachments``' synchronous lookup."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    def exists(self, sha256: str) -> bool:
        """Whether the blob file is there."""
        return self.blobs.path(sha256).is_file()

    def size(self, sha256: str) -> int | None:
        """The blob file's size, or None."""
        try:
            return self.blobs.path(sha256).stat().st_size
        except OSError:
            return None

    def digest(self, sha256: str) -> str | None:
        """The blob's bytes hashed again, or None."""
        try:
            return hash_file(self.blobs.path(sha256))[0]
        except OSError:
            return None


class KnownSizes:
    """Blob sizes looked up before the synchronous ``check_attachments`` (object store)."""

    def __init__(self, sizes: dict[str, int | None]) -> None:
        self.sizes = sizes

    def exists(self, sha256: str) -> bool:
        """Whether the blob was found."""
        return self.sizes.get(sha256) is not None

    def size(self, sha256: str) -> int | None:
        """The blob's size, or None."""
        return self.sizes.get(sha256)

    def digest(self, sha256: str) -> str | None:
        """Not rehashed here: the object store's copy was hashed on its way in."""
        return sha256 if self.exists(sha256) else None


class Verify:
    """Check a submitted envelope for ``caller``; returns what the signature covers."""

    def __init__(
        self,
        trust: Callable[[], TrustStore],
        blobs: AnyBlobStore,
        *,
        window: timedelta,
        max_bytes: int,
        max_depth: int,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.trust = trust
        self.store = blobs
        self.window = window
        self.limits = {"max_bytes": max_bytes, "max_depth": max_depth}
        self.clock = clock

    async def __call__(
        self, data: bytes, caller: str, *, adapter_ids: bool = False
    ) -> VerifiedEnvelope:
        """The verified envelope, or a typed ``signature.*`` / ``envelope.*`` error."""
        now = self.clock()
        trust = self.trust()
        if len(data) > _THREAD_THRESHOLD:
            verified = await asyncio.to_thread(
                lambda: verify_envelope(data, trust, now=now, **self.limits)
            )
        else:
            verified = verify_envelope(data, trust, now=now, **self.limits)
        env = verified.envelope
        mid = str(env.message_id)
        if not env.sender == caller == verified.signer_unit:
            raise EnvelopeError(
                f"caller {caller}, signer {verified.signer_unit} and sender {env.sender} differ",
                code="envelope.sender_mismatch",
                message_id=mid,
            )
        if abs(now - env.created) > self.window:
            raise EnvelopeError(
                f"created {env.created.isoformat()} is outside the accepted window",
                code="envelope.created_out_of_window",
                message_id=mid,
            )
        if env.expires is not None and env.expires <= now:
            raise EnvelopeError("the message has expired", code="envelope.expired", message_id=mid)
        check_origin(env, adapter_ids=adapter_ids)
        if isinstance(self.store, BlobStore):
            check_attachments(env, BlobFiles(self.store))
        else:
            shas = [a.sha256 for a in env.attachments]
            check_attachments(env, KnownSizes(await self.store.sizes(shas)))
        return verified


def check_origin(env: Envelope, *, adapter_ids: bool = False) -> None:
    """The sender's own DocumentId, and a name-based message id derived from it."""
    doc = edxml_document_of(env)
    mid = env.message_id
    if doc is not None and doc.document_id:
        check_document_id(doc.document_id, env.sender)
        first_hop = doc.trace_headers[0].timestamp if doc.trace_headers else None
        if mid.version != 5 or mid == message_uuid(doc.document_id, env.kind, first_hop):
            return
    elif mid.version != 5 or adapter_ids:
        return
    raise EnvelopeError(
        f"message id {mid} is name-based but not derived from a DocumentId of {env.sender}",
        code="envelope.bad_message_id",
        message_id=str(mid),
    )
