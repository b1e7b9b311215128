"""Typed keys for the web mailbox's application state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import jinja2
from aiohttp import web

from gateway.api.limits import FailureLimiter
from gateway.directory import Directory
from gateway.directory.people import People
from gateway.facade import HubFacade
from gateway.webmailbox.session import MailboxCodec


class MailboxHub(HubFacade, Protocol):
    """What the web mailbox takes from the hub (:class:`gateway.hub.Hub` implements it,
    mypy checks): the facade's operations, and the directory (its units, groups and
    tokens) and clerks' accounts it reads for the send form and the login."""

    @property
    def directory(self) -> Directory: ...

    @property
    def people(self) -> People: ...


if TYPE_CHECKING:  # mypy proves the hub is what the mailbox takes
    from gateway.hub import Hub

    _HUB_IS_A_MAILBOX_HUB: type[MailboxHub] = Hub

HUB: web.AppKey[MailboxHub] = web.AppKey("mailbox_hub", MailboxHub)
CODEC: web.AppKey[MailboxCodec] = web.AppKey("mailbox_codec", MailboxCodec)
#: The Jinja2 environment of the mailbox's templates (the console has its own).
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("mailbox_jinja2", jinja2.Environment)
#: Wrong tokens per client address at the login (429 ``limit.auth_failures`` past 10 a minute).
FAILURES: web.AppKey[FailureLimiter] = web.AppKey("mailbox_login_failures", FailureLimiter)
