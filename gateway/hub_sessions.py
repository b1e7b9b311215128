"""Logging in to the console and the web mailbox, and their sessions: what each login
trades for a session (an operator's or a unit's token, a clerk's password) and whether
a session still holds, each through the rule for that caller (:mod:`gateway.facade.authz`).

A session names the token (or the clerk's account) it was opened with and ends when that
token is revoked or the account disabled; :class:`gateway.hub.Hub` is these methods with
the others on top of the parts (:mod:`gateway.hub_parts`).
"""

from __future__ import annotations

from typing import Any

from gateway.directory import Principal
from gateway.facade import authz
from gateway.hub_access import HubAccess
from gateway.store.people import Person

__all__ = ["SessionDesk"]


class SessionDesk(HubAccess):
    """The hub's parts with the logins and session checks of the pages."""

    async def operator_login(self, token: str) -> tuple[Principal, str]:
        """An operator's token → its principal and the token's id, which the console's
        session names (``auth.invalid_token``; a unit's token ``auth.forbidden``)."""
        principal = await self.authenticate_token(token)
        authz.require_operator(principal)
        return principal, await self.directory.tokens.id_of(token)

    async def mailbox_login(self, token: str) -> tuple[str, str]:
        """A unit's token → its unit and the token's id, which the web mailbox's session
        names (``auth.invalid_token``; an operator's token ``auth.forbidden``)."""
        principal = await self.authenticate_token(token)
        unit = authz.require_unit(principal)
        return unit, await self.directory.tokens.id_of(token)

    async def person_login(self, username: str, password: str) -> Person:
        """A clerk's account, when this is its password (``auth.invalid_password``; a
        locked account ``auth.account_locked``)."""
        return await self.people.authenticate(username, password)

    async def session_principal(self, token_id: str) -> Principal | None:
        """Who the token a session names stands for now (a leader: with its scope), None
        once it is revoked."""
        return await self.directory.tokens.principal_by_id(token_id)

    async def session_valid(self, token_id: str) -> bool:
        """Whether the token a session names is still active (not revoked)."""
        return await self.directory.tokens.is_active(token_id)

    async def clerk_of_session(self, person_id: str, unit: str) -> Person | None:
        """The clerk's account a mailbox session of ``unit`` names, while it is enabled
        and of that unit (else None: the session ends)."""
        person = await self.people.active(person_id)
        return person if person is not None and person.unit == unit else None

    async def attribute_to_clerk(
        self, p: authz.PrincipalLike, person: Person, action: str, message_id: str, **detail: Any
    ) -> None:
        """Write to the audit log that the clerk ``person`` of the caller's unit did
        ``action`` (another unit's clerk: ``auth.forbidden``)."""
        authz.require_clerk(p, person.unit)
        await self.people.attribute(person, action, message_id, **detail)
