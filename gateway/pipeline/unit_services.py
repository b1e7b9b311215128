"""What the hub does for a unit's system beside the flow: seal a document or receipt
with the unit's key, store its files, read and extend the directory below it.

These are the adapters' operations of :class:`gateway.facade.AdapterFacade` (``Hub``
delegates to :class:`UnitServices`), so an adapter never holds the signers, the blob
store or the directory itself. Each checks the caller as the rest of the facade does.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable

from gateway.directory import Directory
from gateway.directory.directory import Unit
from gateway.envelope.model import Envelope, Receipt
from gateway.envelope.seal import Sealing
from gateway.errors import EnvelopeError, ForbiddenError, UnitExistsError
from gateway.facade import authz
from gateway.pipeline.receipt import ReceiptIssuer
from gateway.pipeline.signers import Signers
from gateway.store.blobs import BlobRef
from gateway.store.s3blobs import AnyBlobStore

__all__ = ["UnitServices"]


class UnitServices:
    """Sealing, file storage and directory reads on behalf of a unit's system."""

    def __init__(
        self,
        *,
        signers: Signers,
        sealing: Sealing,
        receipts: ReceiptIssuer,
        blobs: AnyBlobStore,
        directory: Directory,
        open_mailboxes: Callable[[], Awaitable[object]],
    ) -> None:
        self.signers = signers
        self.sealing = sealing
        self.receipts = receipts
        self.blobs = blobs
        self.directory = directory
        self.open_mailboxes = open_mailboxes

    async def store_file(
        self, p: authz.PrincipalLike, data: bytes | AsyncIterable[bytes]
    ) -> BlobRef:
        """Put a unit's file in the blob store (by digest) for a later submit."""
        authz.require_unit(p)
        if isinstance(data, bytes):
            return await self.blobs.put_bytes(data)
        return await self.blobs.put_stream(data)

    async def store_upload(
        self, p: authz.PrincipalLike, chunks: AsyncIterable[bytes], *, max_bytes: int
    ) -> BlobRef:
        """A unit's uploaded file streamed into the blob store (past ``max_bytes``:
        ``limit.body_too_large``, nothing kept) and held until the submission is decided
        (``finish_upload``); a caller that is no unit is refused before any byte is stored."""
        authz.require_unit(p)
        ref = await self.blobs.put_stream(chunks, max_bytes=max(max_bytes, 0))
        self.blobs.hold(ref)
        return ref

    async def seal_envelope(self, p: authz.PrincipalLike, envelope: Envelope) -> bytes:
        """``envelope`` signed with its sender's key; the sender must be the caller (a key
        is issued now if the hub holds none for the unit)."""
        unit = authz.require_unit(p)
        if envelope.sender != unit:
            raise EnvelopeError(
                f"caller {unit} and sender {envelope.sender} differ",
                code="envelope.sender_mismatch",
            )
        key, cert = await self.signers.for_document(unit)
        return await self.sealing.seal(envelope, key, cert)

    async def seal_receipt(self, p: authz.PrincipalLike, receipt: Receipt) -> bytes:
        """``receipt`` signed with its issuer's key; the issuer must be the caller."""
        unit = authz.require_unit(p)
        if (receipt.issuer or receipt.recipient) != unit:
            raise ForbiddenError(
                f"{unit} may not state a receipt for {receipt.issuer or receipt.recipient}",
                code="receipt.wrong_party",
            )
        await self.signers.for_document(unit)  # the unit signs its own receipts
        return (await self.receipts.seal(receipt)).xml

    async def add_unit_below(
        self, p: authz.PrincipalLike, code: str, name: str, parent: str, *, actor: str
    ) -> Unit:
        """Add ``code`` under ``parent`` (the caller's unit or one below it), or find it
        there already; its mailbox opens now. Under another parent: ``directory.unit_exists``."""
        unit = authz.require_unit(p)
        if parent != unit and parent not in {
            u.code for u in await self.directory.descendants(unit)
        }:
            raise ForbiddenError(f"{parent} is not below {unit}", code="auth.forbidden")
        try:
            added = await self.directory.add(code, name, parent, actor=actor)
        except UnitExistsError:
            added = await self.directory.get(code)
            if added.parent != parent:
                raise
        await self.open_mailboxes()
        return added
