"""The bus seam: what the relay publishes to and the mailbox consumers read from.

Two topics, ``documents`` and ``receipts``, both routed by the recipient's unit code to
that unit's mailbox. A publish returns only once the broker has the message (a publisher
confirm); a consumed message is acknowledged only after its handler returned. Handlers
raise :class:`~gateway.errors.Recoverable` for "try again later" (the message comes back
after a backoff delay) and anything else for "never" (it is dead-lettered at once). After
``delivery_limit`` attempts a message is dead-lettered too, so a poison message never
loops forever. Delivery is at-least-once: handlers deduplicate by ``message_id``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol, runtime_checkable

from gateway.envelope.model import check_unit_code
from gateway.errors import RoutingError

__all__ = [
    "DOCUMENTS",
    "RECEIPTS",
    "TOPICS",
    "Bus",
    "BusDelivery",
    "Consumer",
    "DeadLetter",
    "Handler",
    "check_headers",
    "check_routing",
    "user_headers",
]

DOCUMENTS: Final = "documents"
RECEIPTS: Final = "receipts"
TOPICS: Final = frozenset({DOCUMENTS, RECEIPTS})

#: Headers the bus itself writes; they are never shown to handlers as user headers.
INTERNAL_PREFIX: Final = "x-"


@dataclass(frozen=True)
class BusDelivery:
    """One message handed to a handler.

    ``attempt`` counts deliveries of this message to any consumer, starting at 1;
    ``redelivered`` is the broker's hint that it may have been seen before (only a hint:
    deduplicate by ``message_id``).
    """

    body: bytes
    message_id: str
    routing_key: str
    topic: str
    headers: Mapping[str, str] = field(default_factory=dict)
    redelivered: bool = False
    attempt: int = 1


@dataclass(frozen=True)
class DeadLetter:
    """A message the bus gave up on, kept for operators to retry or discard.

    ``reason`` is ``rejected`` (the handler refused it), ``delivery_limit`` (too many
    attempts) or ``expired``; ``error`` is the last handler error code, if known.
    """

    message_id: str
    topic: str
    routing_key: str
    reason: str
    attempts: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    error: str = ""


Handler = Callable[[BusDelivery], Awaitable[None]]


class Consumer(Protocol):
    """A running subscription to one mailbox."""

    @property
    def unit(self) -> str:
        """The unit whose mailbox this reads."""
        ...

    async def cancel(self, drain_timeout: float | None = None) -> None:
        """Stop taking messages; wait for running handlers, give back the rest."""
        ...


@runtime_checkable
class Bus(Protocol):
    """A message bus with confirmed publishes and acknowledged, retried consumption."""

    @property
    def is_connected(self) -> bool:
        """Whether the bus can publish right now (for readiness probes)."""
        ...

    async def connect(self) -> None:
        """Connect and declare the fixed topology; ``BusUnavailable`` if unreachable."""
        ...

    async def publish(
        self,
        topic: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        headers: Mapping[str, str] | None = None,
        expiration: float | None = None,
    ) -> None:
        """Return once the broker confirmed; ``BusUnavailable`` otherwise, never hangs.

        Raises ``BusUnavailable`` with code ``bus.unroutable`` when no mailbox is declared
        for ``routing_key``, ``bus.nacked`` on a negative confirm, ``bus.timeout`` when no
        confirm (or no connection) came within the confirm timeout. After a timeout the
        outcome is unknown: the caller retries and the consumer deduplicates.
        """
        ...

    async def declare_mailbox(self, unit: str) -> None:
        """Create the unit's mailbox and its bindings (idempotent)."""
        ...

    async def declare_mailboxes(self, units: Sequence[str]) -> None:
        """:meth:`declare_mailbox` for many units (in parallel where the bus can)."""
        ...

    async def consume(self, unit: str, handler: Handler) -> Consumer:
        """Start delivering the unit's mailbox to ``handler`` (declares it if needed)."""
        ...

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Up to ``limit`` dead letters, oldest first, without removing them."""
        ...

    async def dead_letter_count(self) -> int:
        """How many dead letters are waiting."""
        ...

    async def retry_dead_letter(self, message_id: str) -> bool:
        """Publish the dead letter again to its mailbox; ``False`` if there is none."""
        ...

    async def discard_dead_letter(self, message_id: str) -> bool:
        """Drop the dead letter for good; ``False`` if there is none."""
        ...

    async def queue_depths(self, units: Iterable[str] | None = None) -> dict[str, int]:
        """Messages waiting per mailbox (best effort; default: mailboxes this bus knows)."""
        ...

    async def close(self) -> None:
        """Cancel consumers (draining them) and disconnect."""
        ...


def check_routing(topic: str, routing_key: str) -> None:
    """Refuse an unknown topic or a routing key that is not a unit code (no ``#``, ``*``)."""
    if topic not in TOPICS:
        raise RoutingError(f"unknown bus topic {topic!r}", code="bus.unknown_topic")
    check_unit_code(routing_key)


def user_headers(headers: Mapping[str, object] | None) -> dict[str, str]:
    """The caller's own headers: everything the bus or broker added is left out."""
    if not headers:
        return {}
    return {k: str(v) for k, v in headers.items() if not k.startswith(INTERNAL_PREFIX)}


def check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's headers as a dict; ``x-`` names are reserved for the bus and refused."""
    out = dict(headers or {})
    reserved = sorted(k for k in out if k.startswith(INTERNAL_PREFIX))
    if reserved:
        raise ValueError(f"headers starting with 'x-' are reserved for the bus: {reserved}")
    return out
