"""Typed keys for the web mailbox's application state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import jinja2
from aiohttp import web

from gateway.api.limits import FailureLimiter
from gateway.facade import HubFacade, PrincipalLike, UnitLike
from gateway.facade.console import GroupLike, PersonLike
from gateway.webmailbox.session import MailboxCodec


class MailboxHub(HubFacade, Protocol):
    """What the web mailbox takes from the hub (:class:`gateway.hub.Hub` implements it,
    mypy checks): the facade's operations, a unit's choice of recipients, and the logins
    and session checks (:mod:`gateway.hub_sessions`). No part of the hub is in it, so mypy
    proves the mailbox's pages read none of them."""

    async def send_choices(
        self, p: PrincipalLike
    ) -> tuple[Sequence[UnitLike], Sequence[GroupLike]]:
        """A unit's choice of recipients: the directory's units and groups."""

    async def mailbox_login(self, token: str) -> tuple[str, str]:
        """A unit's token → its unit and the token's id."""

    async def person_login(self, username: str, password: str) -> PersonLike:
        """A clerk's account, when this is its password."""

    async def session_valid(self, token_id: str) -> bool:
        """Whether a session's token is still active."""

    async def clerk_of_session(self, person_id: str, unit: str) -> PersonLike | None:
        """The enabled account of ``unit`` a clerk's session names, else None."""

    async def attribute_to_clerk(
        self, p: PrincipalLike, person: Any, action: str, message_id: str, **detail: Any
    ) -> None:
        """Audit that the clerk ``person`` of the caller's unit did ``action``."""


if TYPE_CHECKING:  # mypy proves the hub is what the mailbox takes
    from gateway.hub import Hub

    _HUB_IS_A_MAILBOX_HUB: type[MailboxHub] = Hub

HUB: web.AppKey[MailboxHub] = web.AppKey("mailbox_hub", MailboxHub)
CODEC: web.AppKey[MailboxCodec] = web.AppKey("mailbox_codec", MailboxCodec)
#: The Jinja2 environment of the mailbox's templates (the console has its own).
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("mailbox_jinja2", jinja2.Environment)
#: Wrong tokens per client address at the login (429 ``limit.auth_failures`` past 10 a minute).
FAILURES: web.AppKey[FailureLimiter] = web.AppKey("mailbox_login_failures", FailureLimiter)
