"""What the axis and VXP handlers share: the hub, the authenticator, the failure limiter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from aiohttp import web

from adapters.axis.auth import AxisAuthenticator
from adapters.axis.systems import AxisSystem
from gateway.api.limits import FailureLimiter
from gateway.facade import AdapterFacade

__all__ = ["AXIS", "AxisState"]


@dataclass
class AxisState:
    """What the handlers share: the hub and the authenticator."""

    hub: AdapterFacade
    auth: AxisAuthenticator
    failures: FailureLimiter = field(default_factory=FailureLimiter)

    async def units(self, system: AxisSystem) -> list[str]:
        """The units a system acts for: its own, and for a peer every unit below it."""
        if not system.peer:
            return [system.unit]
        below = await self.hub.units_below(system.unit)
        return [system.unit, *(u.code for u in below)]


AXIS: Final = web.AppKey("axis", AxisState)
