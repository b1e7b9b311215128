"""Who calls the hub and what it may see: the checks every facade method starts with.

Bearer tokens and TLS client certificates become a :class:`Principal`; a unit that is
retired now acts no more; a message is visible to its sender, its recipients (and a
successor standing for a retired one) and operators (:mod:`gateway.facade.authz`). The facade
methods are in :mod:`gateway.hub` (units, adapters) and :mod:`gateway.hub_operators`.
"""

from __future__ import annotations

import uuid

from cryptography import x509

from gateway.directory import Principal
from gateway.errors import AuthError, GatewayError, NotFoundError
from gateway.facade import authz
from gateway.hub_parts import HubParts
from gateway.store.records import StoredMessage

__all__ = ["HubAccess"]


class HubAccess(HubParts):
    """The hub's parts with the caller checks."""

    async def authenticate_token(self, token: str) -> Principal:
        """Who a bearer token stands for (``auth.invalid_token``)."""
        return await self.directory.authenticate(token)

    async def authenticate_certificate(self, cert: x509.Certificate) -> Principal:
        """A TLS client certificate from the hub CA → its unit (``auth.invalid_certificate``)."""
        try:
            unit = self.trust().check(cert)
        except GatewayError as exc:
            raise AuthError(str(exc.message), code="auth.invalid_certificate") from exc
        if not await self.directory.exists(unit):
            raise AuthError(f"{unit} is not in the directory", code="auth.invalid_certificate")
        if not await self.directory.lineage.active(unit):
            raise AuthError(f"unit {unit} is retired", code="auth.unit_retired")
        return Principal(unit=unit)

    async def _active_unit(self, p: authz.PrincipalLike) -> str:
        """The caller's unit, unless it is retired now (``auth.unit_retired``): an adapter
        acting for a retired unit stops at the instant, as its tokens and certificates do."""
        unit = authz.require_unit(p)
        if not await self.directory.lineage.active(unit):
            raise AuthError(f"unit {unit} is retired", code="auth.unit_retired")
        return unit

    async def _visible(self, p: authz.PrincipalLike, message_id: str) -> StoredMessage:
        try:
            uuid.UUID(message_id)
        except (TypeError, ValueError) as exc:
            raise NotFoundError(f"no message {message_id!r}", code="message.not_found") from exc
        stored = await self.messages.get(message_id)
        authz.require_visible(p, message_id, stored.sender, await self._parties(p, stored))
        return stored

    async def _parties(self, p: authz.PrincipalLike, stored: StoredMessage) -> tuple[str, ...]:
        """The message's recipients, and the caller when it stands for a retired one."""
        unit = p.unit
        outside = unit and not p.operator and unit not in (stored.sender, *stored.recipients)
        if outside and unit and await self.directory.lineage.stands_for(unit, stored.recipients):
            return (*stored.recipients, unit)
        return stored.recipients
