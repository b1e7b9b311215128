"""The hub facade: what the HTTP API and the adapters call, and nothing else.

``build_hub(config)`` (or ``Hub(config)``) builds every part (:mod:`gateway.hub_parts`);
``await hub.start()`` / ``await hub.stop()`` are their lifetime. Every facade method checks
who may do it (:mod:`gateway.facade.authz`), then hands the work to its stage in
:mod:`gateway.pipeline` (submit, deliver, receipt, status) or to the part that holds it;
the operators' in :mod:`gateway.hub_operators` and :mod:`gateway.hub_console`, the units' in
:mod:`gateway.hub_units`, the pages' logins and sessions in :mod:`gateway.hub_sessions`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gateway.config import Config
from gateway.envelope.codec import envelope_from_element
from gateway.envelope.model import Attachment, Envelope, Status
from gateway.errors import ForbiddenError, NotFoundError, RequestError
from gateway.evidence.bundle import build_bundle
from gateway.facade import authz
from gateway.hub_console import ConsoleDesk
from gateway.hub_operators import OperatorDesk
from gateway.hub_parts import AdapterHealthFn
from gateway.hub_sessions import SessionDesk
from gateway.hub_units import UnitDesk
from gateway.pipeline.document import FileLike, UploadedFile
from gateway.pipeline.receipt import require_reason
from gateway.pipeline.status import hide_persons
from gateway.store import AcceptResult
from gateway.store.blobs import BlobRef
from gateway.store.unit_documents import Box, UnitDocuments, list_documents, unit_names
from gateway.text import nfc
from gateway.xmlsafe import parse_xml

__all__ = ["AcceptResult", "AdapterHealthFn", "Hub", "UploadedFile", "build_hub"]


def build_hub(config: Config, *, relay: bool = True, consume: bool = True) -> Hub:
    """Every part of one hub process, wired (not started: see :meth:`Hub.start`)."""
    return Hub(config, relay=relay, consume=consume)


class Hub(OperatorDesk, UnitDesk, ConsoleDesk, SessionDesk):
    """One hub process: its parts and the authorising facade of docs/architecture.md."""

    # -- submitting (stages 1-3) -------------------------------------------------------

    async def submit_envelope(self, p: authz.PrincipalLike, xml: bytes) -> AcceptResult:
        """intake → verify → accept; sender == caller == signer (past the hub's bound:
        ``hub.overloaded``, :mod:`gateway.pipeline.admission`)."""
        async with self.admission.slot():
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
        """Build the envelope from metadata + stored files (or an adapter's unsigned
        ``envelope``), seal it for the caller's unit, submit; a resubmitted id (an
        ``Idempotency-Key`` retry, an adapter's own id) answers ``created=False``
        (:class:`gateway.pipeline.flow.DocumentSubmit`); past the hub's bound:
        ``hub.overloaded``."""
        async with self.admission.slot():
            unit = await self._active_unit(p)
            return await self.documents(
                unit, metadata, files, envelope=envelope, message_id=message_id, person=_person(p)
            )

    async def finish_upload(self, refs: Sequence[BlobRef], *, refused: bool) -> int:
        """Let go of an API upload's blobs; after a refusal remove those no one needs."""
        return await self.documents.finish_upload(refs, refused=refused)

    # -- delivering (stage 6) ----------------------------------------------------------

    async def mailbox(
        self, p: authz.PrincipalLike, *, wait: float, limit: int, record_later: bool = False
    ) -> list[dict[str, Any]]:
        """Pending items, waiting up to ``wait`` seconds for the first one; first fetches
        are recorded (:meth:`gateway.pipeline.deliver.Deliver.fetch`, the clerk too)."""
        unit = await self._active_unit(p)
        self.last_seen(unit)
        return await self.deliver.fetch(
            unit, wait=wait, limit=limit, record_later=record_later, person=_person(p)
        )

    async def ack_item(self, p: authz.PrincipalLike, item_id: str) -> None:
        """Take an item off the caller's pending list."""
        await self.deliver.ack(authz.require_unit(p), [item_id])

    async def ack_items(self, p: authz.PrincipalLike, item_ids: Sequence[object]) -> None:
        """Take several items off the caller's pending list in one transaction: all of them,
        or none when one is not the caller's (``mailbox.item_not_found``)."""
        await self.deliver.ack(authz.require_unit(p), item_ids)

    # -- receipts (stage 7) ------------------------------------------------------------

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
        desk = self.receipt_desk
        if xml is not None:
            unit = authz.require_unit(p)
            verified = desk.verify_signed(stored, xml)
            r, signer = verified.receipt, verified.signer_unit
            # a successor may sign for a retired recipient it stands for now (lineage)
            retired = [r.recipient] if r.recipient in stored.recipients else []
            taken = await desk.stands_for(unit, retired) if retired else []
            authz.require_signed_receipt(
                p, stored.id, stored.sender, stored.recipients, r, signer, taken
            )
            return await desk.store_signed(stored, verified, unit)
        if status is None:
            raise RequestError("a status is needed", code="request.missing_field")
        parsed = Status.parse(status)
        require_reason(parsed, reason, message_id)
        parties = await self._parties(p, stored)
        unit = authz.require_party(p, message_id, stored.sender, parties, parsed)
        if parsed is Status.RECALL_REQUESTED:
            return (await desk.recall(stored, unit, reason, _person(p)))[0]
        return await desk.answer(stored, unit, parsed, reason, person=_person(p))

    async def report_failure(self, p: authz.PrincipalLike, message_id: str, reason: str) -> str:
        """The recipient's adapter could not deliver the document, for good: the hub's
        ``failed`` (91) receipt, once per delivery; the document leaves the pending list."""
        stored = await self._visible(p, message_id)
        unit = authz.require_unit(p)
        if unit not in stored.recipients:
            raise ForbiddenError(
                f"{unit} is not a recipient of this message",
                code="receipt.wrong_party",
                message_id=message_id,
            )
        return await self.receipt_desk.fail(stored, unit, reason)

    async def recall(
        self, p: authz.PrincipalLike, message_id: str, reason: str | None
    ) -> list[str]:
        """The sender's take-back request (13) to every recipient not yet finished."""
        stored = await self._visible(p, message_id)
        unit = authz.require_party(
            p, message_id, stored.sender, stored.recipients, Status.RECALL_REQUESTED
        )
        return await self.receipt_desk.recall(stored, unit, reason, _person(p))

    # -- reading (stage 8 and the stored documents) ------------------------------------

    async def status(self, p: authz.PrincipalLike, message_id: str) -> dict[str, Any]:
        """The DESIGN.md status JSON; a recipient sees its own delivery only, a leader the
        deliveries in its scope."""
        stored = await self._visible(p, message_id)
        mine = p.unit if (p.unit and not p.operator and p.unit != stored.sender) else None
        shown = None
        if authz.scope_units(p) is not None:
            shown = set(authz.visible_recipients(p, stored.sender, stored.recipients))
        status = await self.status_view.detailed(message_id, only=mine, shown=shown)
        hide_persons(status, lambda person: authz.sees_person(p, person))
        return status

    async def envelope_xml(self, p: authz.PrincipalLike, message_id: str) -> bytes:
        """The signed envelope exactly as accepted."""
        await self._visible(p, message_id)
        return await self.messages.envelope_xml(message_id)

    async def document_for_change(
        self, p: authz.PrincipalLike, message_id: str
    ) -> tuple[Envelope, tuple[str, ...]]:
        """The caller's own document ``message_id``, to revoke, update or replace: its
        envelope and the units it was delivered to. Another's document is
        ``request.bad_reference`` (as the submit of the change is), one the caller may not
        see ``message.not_found``."""
        stored = await self._visible(p, message_id)
        authz.require_sender(p, message_id, stored.sender)
        xml = await self.messages.envelope_xml(message_id)
        envelope = envelope_from_element(parse_xml(xml, max_bytes=len(xml) + 1))
        return envelope, stored.recipients

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

    async def evidence(self, p: authz.PrincipalLike, message_id: str) -> Path:
        """The evidence bundle (docs/evidence.md) of a message its sender, recipients and
        operators may have, in a temporary file under the home that the caller removes."""
        await self._visible(p, message_id)
        path = self.config.home / f".evidence-{uuid.uuid4().hex}.zip"
        try:
            with path.open("xb") as target:
                await build_bundle(self, message_id, target)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    # -- the units' own documents and names (sealing, files, the directory: hub_units) --

    async def own_documents(
        self, p: authz.PrincipalLike, box: Box, *, year: int | None = None
    ) -> UnitDocuments:
        """The caller's own documents, ``received`` or ``sent``, newest first (``year``:
        Vietnam's calendar year), with the names of the units they mention."""
        return await list_documents(self.db, authz.own_documents(p), box, year)

    async def unit_names(self, codes: Iterable[str]) -> dict[str, str]:
        """Each unit code's name in the directory (public to every caller)."""
        return await unit_names(self.db, codes)


def _person(p: authz.PrincipalLike) -> str | None:
    """The clerk acting for ``p``'s unit (their own mailbox session): stored with the act."""
    person = getattr(p, "person", None)
    return person if isinstance(person, str) else None
