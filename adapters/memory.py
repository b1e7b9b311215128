"""An in-memory adapter for tests (like httpx's ``MockTransport``).

Features:
    - ``send`` records each item once by its key (a re-send is a no-op marked duplicate).
    - ``inject(item)`` queues an inbound item for the next ``poll``; ``settled`` records
      what the hub answered.
    - ``fail_next(exc, times)`` makes the next sends raise (to test retries and breakers);
      ``handler`` replaces ``send`` entirely when a test needs a custom answer.

Config keys (``options``):
    ``status``: an edXML status code every send answers with (e.g. ``"01"``), default none.

Example::

    [[adapters]]
    name = "memory"
    unit = "000.00.01.H53"
    options = { status = "01" }
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from adapters.base import (
    Adapter,
    AdapterHealth,
    InboundItem,
    OutboundItem,
    SendResult,
    Settlement,
)

__all__ = ["MemoryAdapter"]

Handler = Callable[[OutboundItem], Awaitable[SendResult]]


class MemoryAdapter(Adapter):
    """Keeps what it is sent in ``delivered`` (key → item); polls from ``inbox``."""

    name: ClassVar[str] = "memory"
    capabilities: ClassVar[frozenset[str]] = frozenset({"send", "poll"})

    def __init__(
        self,
        *,
        unit: str,
        options: Mapping[str, Any] | None = None,
        handler: Handler | None = None,
    ) -> None:
        super().__init__(unit=unit, options=options)
        self.delivered: dict[str, OutboundItem] = {}
        self.attempts = 0
        self.inbox: list[InboundItem] = []
        self.in_flight: dict[str, InboundItem] = {}
        self.settled: dict[str, Settlement] = {}
        self.handler = handler
        self._failures: list[BaseException] = []
        self.close_count = 0

    def fail_next(self, exc: BaseException, times: int = 1) -> None:
        """Make the next ``times`` sends raise ``exc``."""
        self._failures.extend([exc] * times)

    def inject(self, item: InboundItem) -> None:
        """Queue an inbound item for the next :meth:`poll`."""
        self.inbox.append(item)

    async def send(self, item: OutboundItem) -> SendResult:
        """Record the item once; a known key is answered as before, not recorded again."""
        self.attempts += 1
        if self._failures:
            raise self._failures.pop(0)
        if self.handler is not None:
            return await self.handler(item)
        status = self.options.get("status")
        if item.key in self.delivered:
            return SendResult(status=status)
        self.delivered[item.key] = item
        return SendResult(status=status)

    async def poll(self) -> list[InboundItem]:
        """Everything injected and not yet settled (unsettled items come back again)."""
        while self.inbox:
            item = self.inbox.pop(0)
            self.in_flight[item.key] = item
        return list(self.in_flight.values())

    async def settle(self, item: InboundItem, outcome: Settlement) -> None:
        """Forget the item; remember the hub's answer."""
        self.in_flight.pop(item.key, None)
        self.settled[item.key] = outcome

    async def health(self) -> AdapterHealth:
        """Healthy unless closed."""
        return await super().health()

    async def aclose(self) -> None:
        """Count closes (tests check idempotence)."""
        if not self.closed:
            self.close_count += 1
        await super().aclose()
