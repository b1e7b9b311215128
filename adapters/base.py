"""The adapter contract: a tiny base class every connector to a unit's system implements.

An adapter moves items between one unit's mailbox on the hub and that unit's own system
(a drop folder, a webhook, an edXML axis). It never talks to the hub itself: the
:class:`adapters.runner.AdapterRunner` takes items from the hub and hands them to
:meth:`Adapter.send`, and submits what :meth:`Adapter.poll` returns.

::

    hub mailbox ──► runner ──► adapter.send(OutboundItem) ──► unit's system
    unit's system ──► adapter.poll() -> [InboundItem] ──► runner ──► hub
                                     adapter.settle(item, Settlement) ◄──┘

Rules every adapter follows (the contract suite in ``tests/integration/adapters`` checks
them):

- ``send`` is idempotent by :attr:`OutboundItem.key`: the runner acks the hub only after
  ``send`` returned, so a crash in between re-sends the same item, which must not become
  a second effect on the unit's side.
- Errors worth a retry are instances of :attr:`Adapter.recoverable_errors`; anything
  else means "this item will never go through" and the runner marks it failed.
- ``aclose`` may be called any number of times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Literal, Self

from gateway.envelope.model import Envelope
from gateway.errors import AdapterUnavailable, GatewayError

__all__ = [
    "Adapter",
    "AdapterError",
    "AdapterHealth",
    "InboundFile",
    "InboundItem",
    "OutboundFile",
    "OutboundItem",
    "SendResult",
    "Settlement",
]

OutboundKind = Literal["document", "receipt"]
InboundKind = Literal["document", "envelope", "receipt"]


class AdapterError(GatewayError):
    """The unit's system refused an item for good (a 4xx, a malformed answer, …)."""

    code = "adapter.rejected"
    http_status = 502


@dataclass(frozen=True, slots=True)
class OutboundFile:
    """An attachment of an outbound document: its bytes are at ``path`` (the blob store)."""

    name: str
    media_type: str
    sha256: str
    size: int
    path: Path


@dataclass(frozen=True, slots=True)
class OutboundItem:
    """One pending mailbox item, ready to push: a document (envelope XML) or a receipt.

    ``body`` is the signed envelope XML for a document, or the receipt as JSON
    (``{"receipt_id", "message_id", "status", "name", "by", "at", "reason"}``).
    """

    item_id: str
    kind: OutboundKind
    message_id: str
    ref: str
    unit: str
    sender: str
    subject: str
    body: bytes
    content_type: str
    attachments: tuple[OutboundFile, ...] = ()

    @property
    def key(self) -> str:
        """The idempotency key: the same item always has the same key (``kind:ref``)."""
        return f"{self.kind}:{self.ref}"


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the unit's system answered: optionally an edXML status (``"01"``) for the hub."""

    status: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class InboundFile:
    """A file of an inbound document, read from ``path`` or given as ``data``."""

    name: str
    media_type: str = "application/octet-stream"
    path: Path | None = None
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class InboundItem:
    """Something the unit's system wants the hub to take.

    - ``document``: ``metadata`` (the multipart metadata JSON of DESIGN.md) + ``files``;
      the hub seals it with the unit's key (``hub.submit_document``). An adapter that
      maps its own format (edXML) may set ``envelope`` instead: the hub keeps its id
      (a resubmit is then answered ``created=False``) and its extensions.
    - ``envelope``: a signed envelope ``xml`` + the ``files`` its manifest names
      (``hub.submit_envelope``).
    - ``receipt``: a status about ``message_id`` (``status`` + ``reason``, or signed ``xml``)
      (``hub.post_receipt``).

    ``key`` is the adapter's own handle (a file name, a remote id) used in :meth:`settle`.
    """

    key: str
    kind: InboundKind
    metadata: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[InboundFile, ...] = ()
    xml: bytes | None = None
    message_id: str | None = None
    status: str | None = None
    reason: str | None = None
    envelope: Envelope | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    """The hub's answer to an inbound item: accepted (with the id) or refused (code+message)."""

    accepted: bool
    ref: str | None = None
    created: bool = True
    code: str | None = None
    message: str | None = None

    @classmethod
    def refused(cls, exc: GatewayError) -> Settlement:
        """A refusal carrying the error's stable code and message."""
        return cls(accepted=False, code=exc.code, message=exc.message)


@dataclass(frozen=True, slots=True)
class AdapterHealth:
    """An adapter's own view of its remote side."""

    ok: bool
    detail: str = ""


class Adapter:
    """Base class of every adapter (subclass it and register it as an entry point).

    Subclasses set :attr:`name` and :attr:`capabilities`, implement :meth:`send` (and
    :meth:`poll` + :meth:`settle` when they take things in), and list the errors worth a
    retry in :attr:`recoverable_errors`.
    """

    name: ClassVar[str] = "base"
    capabilities: ClassVar[frozenset[str]] = frozenset({"send"})
    recoverable_errors: ClassVar[tuple[type[BaseException], ...]] = (AdapterUnavailable,)

    def __init__(self, *, unit: str, options: Mapping[str, Any] | None = None) -> None:
        self.unit = unit
        self.options: Mapping[str, Any] = dict(options or {})
        self.closed = False

    async def send(self, item: OutboundItem) -> SendResult:
        """Push one document or receipt to the unit's system (idempotent by ``item.key``)."""
        raise NotImplementedError

    async def poll(self) -> list[InboundItem]:
        """New documents or statuses from the unit's system (only with ``"poll"``)."""
        return []

    async def settle(self, item: InboundItem, outcome: Settlement) -> None:
        """Told once the hub took (or refused) an item :meth:`poll` returned."""

    async def health(self) -> AdapterHealth:
        """Whether the remote side looks usable."""
        return AdapterHealth(ok=not self.closed, detail="closed" if self.closed else "")

    async def aclose(self) -> None:
        """Release resources; safe to call twice."""
        self.closed = True

    def is_recoverable(self, exc: BaseException) -> bool:
        """Whether ``exc`` is worth a retry (by type, never by message)."""
        return isinstance(exc, self.recoverable_errors)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} unit={self.unit}>"
