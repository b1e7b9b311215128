"""What the HTTP API needs from the hub, as Protocols (the seam of ``docs/architecture.md``).

The API calls only these methods of :class:`gateway.hub.Hub`; authorisation is decided
there. Typing against Protocols keeps the API importable and testable on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509

from gateway.config import Config
from gateway.envelope.model import Attachment
from gateway.exports import Export
from gateway.store.idempotency import IdempotencyKeys
from gateway.store.records import SearchFilters

__all__ = [
    "AcceptResultLike",
    "AdapterHealthFn",
    "BlobRefLike",
    "BlobsLike",
    "HubFacade",
    "MetricsLike",
    "PrincipalLike",
]

#: Adapter label → ``{"state", "breaker", "ok", "last_error", …}`` (``AdapterRunner.health``).
AdapterHealthFn = Callable[[], Awaitable[dict[str, dict[str, Any]]]]


class PrincipalLike(Protocol):
    """Who is calling: a unit, or an operator."""

    @property
    def unit(self) -> str | None: ...

    @property
    def operator(self) -> str | None: ...


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


class BlobsLike(Protocol):
    """The part of the blob store the API streams uploads into."""

    async def put_stream(
        self,
        chunks: AsyncIterable[bytes],
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> BlobRefLike: ...

    def hold(self, ref: Any) -> None: ...


class MetricsLike(Protocol):
    """The hub's Prometheus metrics (``gateway.metrics.HubMetrics``)."""

    async def render(
        self, hub: Any, adapters: dict[str, dict[str, Any]] | None = None
    ) -> bytes: ...


class HubFacade(Protocol):
    """The hub facade (see the table "The hub facade" in ``docs/architecture.md``)."""

    #: The adapter runner's health when ``lienthong serve`` runs adapters, else ``None``.
    adapter_health: AdapterHealthFn | None

    @property
    def config(self) -> Config: ...

    @property
    def blobs(self) -> BlobsLike: ...

    @property
    def metrics(self) -> MetricsLike: ...

    @property
    def idempotency(self) -> IdempotencyKeys: ...

    async def authenticate_token(self, token: str) -> Any: ...

    async def authenticate_certificate(self, cert: x509.Certificate) -> Any: ...

    def last_seen(self, unit: str | None) -> None:
        """Note that ``unit`` just called (written at most once a minute, beside)."""

    async def submit_envelope(self, p: Any, xml: bytes) -> Any: ...

    async def submit_document(
        self,
        p: Any,
        metadata: dict[str, Any],
        files: Sequence[Any],
        *,
        message_id: str | None = None,
    ) -> Any: ...
    async def finish_upload(self, refs: Sequence[Any], *, refused: bool) -> int: ...

    async def post_receipt(
        self,
        p: Any,
        message_id: str,
        *,
        status: str | None,
        reason: str | None = None,
        xml: bytes | None = None,
    ) -> str: ...

    async def recall(self, p: Any, message_id: str, reason: str | None) -> list[str]: ...

    async def mailbox(
        self, p: Any, *, wait: float, limit: int, record_later: bool = False
    ) -> list[dict[str, Any]]: ...

    async def ack_item(self, p: Any, item_id: str) -> None: ...
    async def ack_items(self, p: Any, item_ids: Sequence[object]) -> None: ...

    async def envelope_xml(self, p: Any, message_id: str) -> bytes: ...

    async def attachment(self, p: Any, message_id: str, name: str) -> tuple[Attachment, Path]: ...

    async def status(self, p: Any, message_id: str) -> dict[str, Any]: ...

    async def evidence(self, p: Any, message_id: str) -> Path: ...

    async def search(
        self, p: Any, filters: SearchFilters | None = None, *, cursor: str | None, limit: int
    ) -> dict[str, Any]: ...

    async def search_export(self, p: Any, filters: SearchFilters | None, fmt: str) -> Export: ...

    async def unit_summaries(
        self, p: Any, unit: str | None = None, *, not_seen_days: int | None = None
    ) -> list[dict[str, Any]]: ...

    async def overdue(self, p: Any, *, limit: int = 500) -> list[dict[str, Any]]: ...

    async def dead_letters(self, p: Any) -> list[dict[str, Any]]: ...

    async def resolve_dead_letter(self, p: Any, dead_id: str, action: str) -> None: ...

    async def change_unit(
        self, p: Any, code: str, action: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def unit_lineage(self, p: Any, code: str) -> dict[str, Any]: ...

    async def ready(self) -> dict[str, bool]: ...
