"""Typed keys for the web mailbox's application state."""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

from gateway.api.limits import FailureLimiter
from gateway.webmailbox.session import MailboxCodec

HUB: web.AppKey[Any] = web.AppKey("mailbox_hub", object)
CODEC: web.AppKey[MailboxCodec] = web.AppKey("mailbox_codec", MailboxCodec)
#: The Jinja2 environment of the mailbox's templates (the console has its own).
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("mailbox_jinja2", jinja2.Environment)
#: Wrong tokens per client address at the login (429 ``limit.auth_failures`` past 10 a minute).
FAILURES: web.AppKey[FailureLimiter] = web.AppKey("mailbox_login_failures", FailureLimiter)
