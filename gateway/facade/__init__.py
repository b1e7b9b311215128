"""The seam between the hub and its callers: what the hub offers, as Protocols, and the
values that cross it (``docs/architecture.md``, "The hub facade").

:class:`AdapterFacade` is what an adapter (``adapters/``) may ask of the hub: submit,
answer, fetch and ack as a unit, seal a document or receipt with a unit's key, store a
file, read the directory. :class:`HubFacade` adds what the HTTP API and the operators'
pages need (authentication, uploads, search, exports, units, dead letters, metrics).
:class:`gateway.hub.Hub` implements both and decides who may do what
(:mod:`gateway.facade.authz`).

This module imports nothing of the store, the bus or the pipeline: callers typed against
it can only reach the hub through these methods, which mypy checks.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from cryptography import x509

from gateway.config import Config
from gateway.envelope.model import Attachment, Envelope, Receipt

__all__ = [
    "AcceptResultLike",
    "AdapterFacade",
    "AdapterHealthFn",
    "BlobRefLike",
    "Box",
    "ExportLike",
    "HubFacade",
    "IdempotencyLike",
    "MetricsLike",
    "PrincipalLike",
    "SearchFilters",
    "StoredAnswerLike",
    "UnitDocumentsLike",
    "UnitLike",
]

#: Adapter label → ``{"state", "breaker", "ok", "last_error", …}`` (``AdapterRunner.health``).
AdapterHealthFn = Callable[[], Awaitable[dict[str, dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Operator search: any combination; ``unit`` matches sender or recipient."""

    unit: str | None = None
    sender: str | None = None
    state: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    #: A leader's scope: only messages sent from or to one of these units.
    within: frozenset[str] | None = None


class PrincipalLike(Protocol):
    """An authenticated caller: a unit, or an operator (a leader: with a scope)."""

    @property
    def unit(self) -> str | None: ...

    @property
    def operator(self) -> str | None: ...

    @property
    def within(self) -> frozenset[str] | None: ...


class AcceptResultLike(Protocol):
    """The answer to a submit."""

    @property
    def message_id(self) -> str: ...

    @property
    def created(self) -> bool: ...


class BlobRefLike(Protocol):
    """A stored blob: its digest and size."""

    @property
    def sha256(self) -> str: ...

    @property
    def size(self) -> int: ...


class UnitLike(Protocol):
    """One unit of the directory."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def parent(self) -> str | None: ...

    @property
    def created_at(self) -> datetime: ...


class ExportLike(Protocol):
    """A file to send: its bytes, media type and download name."""

    @property
    def body(self) -> bytes: ...

    @property
    def content_type(self) -> str: ...

    @property
    def filename(self) -> str: ...


class StoredAnswerLike(Protocol):
    """The answer stored for an idempotency key."""

    @property
    def status(self) -> int: ...

    @property
    def body(self) -> bytes: ...


class IdempotencyLike(Protocol):
    """The ``Idempotency-Key`` reservations of the API."""

    async def begin(self, unit: str, key: str, fingerprint: str) -> StoredAnswerLike | None: ...

    async def finish(self, unit: str, key: str, status: int, body: bytes) -> None: ...

    async def abandon(self, unit: str, key: str) -> None: ...


class MetricsLike(Protocol):
    """The hub's Prometheus metrics (``gateway.metrics.HubMetrics``)."""

    async def render(
        self, hub: Any, adapters: dict[str, dict[str, Any]] | None = None
    ) -> bytes: ...


class AdapterFacade(Protocol):
    """What an adapter may ask of the hub; every call is authorised as its principal."""

    @property
    def config(self) -> Config: ...

    def last_seen(self, unit: str | None) -> None:
        """Note that ``unit`` just called (written at most once a minute, beside)."""

    async def submit_envelope(self, p: PrincipalLike, xml: bytes) -> AcceptResultLike: ...

    async def submit_document(
        self,
        p: PrincipalLike,
        metadata: Mapping[str, Any],
        files: Sequence[Any],
        *,
        envelope: Envelope | None = None,
        message_id: str | None = None,
    ) -> AcceptResultLike: ...

    async def post_receipt(
        self,
        p: PrincipalLike,
        message_id: str,
        *,
        status: str | None,
        reason: str | None = None,
        xml: bytes | None = None,
    ) -> str: ...

    async def report_failure(self, p: PrincipalLike, message_id: str, reason: str) -> str: ...

    async def mailbox(
        self, p: PrincipalLike, *, wait: float, limit: int, record_later: bool = False
    ) -> list[dict[str, Any]]: ...

    async def ack_item(self, p: PrincipalLike, item_id: str) -> None: ...

    async def envelope_xml(self, p: PrincipalLike, message_id: str) -> bytes: ...

    async def receipt_xml(self, p: PrincipalLike, receipt_id: str) -> bytes: ...

    async def attachment(
        self, p: PrincipalLike, message_id: str, name: str
    ) -> tuple[Attachment, Path]: ...

    async def status(self, p: PrincipalLike, message_id: str) -> dict[str, Any]: ...

    async def search(
        self,
        p: PrincipalLike,
        filters: SearchFilters | None = None,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]: ...

    async def store_file(self, p: PrincipalLike, data: bytes | AsyncIterable[bytes]) -> BlobRefLike:
        """Put a file of the unit's in the blob store (by digest) for a later submit."""

    async def seal_envelope(self, p: PrincipalLike, envelope: Envelope) -> bytes:
        """``envelope`` signed with the key of its sender, the caller's unit."""

    async def seal_receipt(self, p: PrincipalLike, receipt: Receipt) -> bytes:
        """``receipt`` signed with the key of its issuer, the caller's unit."""

    async def units(self) -> Sequence[UnitLike]:
        """Every unit of the directory, by code."""

    async def unit(self, code: str) -> UnitLike:
        """One unit (``directory.unknown_unit`` if there is none)."""

    async def units_below(self, code: str) -> Sequence[UnitLike]:
        """Every unit below ``code``, at any depth."""

    async def add_unit_below(
        self, p: PrincipalLike, code: str, name: str, parent: str, *, actor: str
    ) -> UnitLike:
        """Add ``code`` under ``parent``, the caller's unit or one below it, and open its
        mailbox now (``directory.unit_exists`` if it is there already)."""


#: A unit's own documents: those it received or those it sent.
Box = Literal["received", "sent"]


class UnitDocumentsLike(Protocol):
    """A unit's own documents (dataclasses, newest first) and the names of the units
    they mention."""

    @property
    def documents(self) -> Sequence[Any]: ...

    @property
    def names(self) -> Mapping[str, str]: ...


class HubFacade(AdapterFacade, Protocol):
    """The hub facade of the HTTP API and the operators' pages."""

    #: The adapter runner's health when ``lienthong serve`` runs adapters, else ``None``.
    adapter_health: AdapterHealthFn | None

    @property
    def metrics(self) -> MetricsLike: ...

    @property
    def idempotency(self) -> IdempotencyLike: ...

    async def authenticate_token(self, token: str) -> Any: ...

    async def authenticate_certificate(self, cert: x509.Certificate) -> Any: ...

    async def store_upload(
        self, p: PrincipalLike, chunks: AsyncIterable[bytes], *, max_bytes: int
    ) -> BlobRefLike:
        """A unit's uploaded file into the blob store as it streams in (at most
        ``max_bytes``), held until :meth:`finish_upload`; a unit only."""

    async def finish_upload(self, refs: Sequence[Any], *, refused: bool) -> int: ...

    async def recall(self, p: PrincipalLike, message_id: str, reason: str | None) -> list[str]: ...

    async def ack_items(self, p: PrincipalLike, item_ids: Sequence[object]) -> None: ...

    async def evidence(self, p: PrincipalLike, message_id: str) -> Path: ...

    async def search_export(
        self, p: PrincipalLike, filters: SearchFilters | None, fmt: str
    ) -> ExportLike: ...

    async def unit_summaries(
        self, p: PrincipalLike, unit: str | None = None, *, not_seen_days: int | None = None
    ) -> list[dict[str, Any]]: ...

    async def overdue(self, p: PrincipalLike, *, limit: int = 500) -> list[dict[str, Any]]: ...

    async def dead_letters(self, p: PrincipalLike) -> list[dict[str, Any]]: ...

    async def resolve_dead_letter(self, p: PrincipalLike, dead_id: str, action: str) -> None: ...

    async def escalation_sends(
        self, p: PrincipalLike, state: str | None = None
    ) -> list[dict[str, Any]]: ...

    async def resolve_escalation_send(
        self, p: PrincipalLike, send_id: str, action: str
    ) -> dict[str, Any]: ...

    async def change_unit(
        self, p: PrincipalLike, code: str, action: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def unit_lineage(self, p: PrincipalLike, code: str) -> dict[str, Any]: ...

    async def unit_changes(
        self, p: PrincipalLike, code: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The whole hub's operators: a unit with its lineage, and its scheduled changes."""

    async def preview_unit_change(
        self, p: PrincipalLike, code: str, action: str, fields: Mapping[str, Any]
    ) -> Any:
        """The whole hub's operators: what :meth:`change_unit` would do, rolled back
        (``action``, ``code``, ``at``, ``entries``, ``touched``, ``scheduled``)."""

    async def ready(self) -> dict[str, bool]: ...

    async def own_documents(
        self, p: PrincipalLike, box: Box, *, year: int | None = None
    ) -> UnitDocumentsLike:
        """The caller's own documents, ``received`` or ``sent``, newest first."""

    async def unit_names(self, codes: Iterable[str]) -> dict[str, str]:
        """Each unit code's name in the directory."""

    async def document_for_change(
        self, p: PrincipalLike, message_id: str
    ) -> tuple[Envelope, tuple[str, ...]]:
        """The caller's own document to revoke, update or replace: its envelope and the
        units it was delivered to (another's: ``request.bad_reference``)."""
