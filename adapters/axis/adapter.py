"""The ``axis`` adapter entry: registers an office system; the hub serves it, nothing runs.

An office system that speaks the axis API pulls its unit's mailbox itself (over
``/axis/v1``), so there is nothing to push: this adapter has the ``serve`` capability
only, and the runner must not start an outbound loop for it (that loop would take the
items off the unit's pending list before the office system sees them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from adapters.axis.systems import system_from_config
from adapters.base import Adapter, AdapterError, AdapterHealth, OutboundItem, SendResult
from gateway.config import AdapterConfig

__all__ = ["AxisAdapter"]


class AxisAdapter(Adapter):
    """One office system allowed on the axis API (see :mod:`adapters.axis`)."""

    name: ClassVar[str] = "axis"
    capabilities: ClassVar[frozenset[str]] = frozenset({"serve"})

    def __init__(self, *, unit: str, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(unit=unit, options=options)
        # fail at start-up, not at the first request, when the secret is missing or short
        self.system = system_from_config(AdapterConfig("axis", unit, dict(self.options)))

    async def send(self, item: OutboundItem) -> SendResult:
        """Never called: the office system pulls over the axis API."""
        raise AdapterError(
            "axis systems pull their mailbox over /axis/v1; nothing is pushed",
            code="adapter.rejected",
        )

    async def health(self) -> AdapterHealth:
        """Registered and served by the hub's HTTP server."""
        return AdapterHealth(ok=not self.closed, detail=f"system {self.system.system_id}")
