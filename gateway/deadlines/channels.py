"""The two external channels an overdue notice goes out on: a signed webhook and a mail.

Each notification has a stable id (:func:`event_id`, a UUID from the delivery, the level
and the channel): the webhook carries it in ``X-Lienthong-Event`` and its body's ``id``,
the mail in its ``Message-ID`` (``<escalation.ID@domain>``), so a receiver or a mail
server's log can tell one notification from another.

**Webhook signature.** With a secret configured (``[deadlines] webhook_secret_file``, a
file holding it, or the ``LIENTHONG_DEADLINES_WEBHOOK_SECRET`` environment variable), every
POST carries ``X-Lienthong-Signature: sha256=HEX``, HEX being the lowercase hex
HMAC-SHA256 of the exact body bytes under the secret (leading and trailing whitespace of
the file stripped). The body holds ``sent_at``, so the signature covers the time too. A
receiver recomputes it over the raw body and compares in constant time
(:func:`verify`). Without a secret the POST goes unsigned (a warning at start).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import structlog

from gateway.config import DeadlinesConfig
from gateway.errors import ConfigError

__all__ = [
    "EVENT_HEADER",
    "SECRET_ENV",
    "SIGNATURE_HEADER",
    "Mail",
    "Webhook",
    "event_id",
    "event_id_of",
    "load_secret",
    "sign",
    "verify",
]

log = structlog.get_logger("gateway.deadlines")

SIGNATURE_HEADER = "X-Lienthong-Signature"
EVENT_HEADER = "X-Lienthong-Event"
SECRET_ENV = "LIENTHONG_DEADLINES_WEBHOOK_SECRET"  # noqa: S105 (a variable name)
_EVENT_NS = uuid.UUID("8f3c2a51-0b7e-5d2a-9c41-7a0e25d1b6f3")


class NoticeLike(Protocol):
    """What a channel needs of a notice (``gateway.deadlines.escalation.Notice``)."""

    @property
    def message_id(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...

    def to_json(self) -> dict[str, Any]: ...

    def text(self) -> str: ...


def event_id(notice: NoticeLike, channel: str) -> str:
    """The notification's stable id: the same for a delivery, level and channel always."""
    return event_id_of(notice.message_id, notice.recipient, notice.level, channel)


def event_id_of(message_id: str, recipient: str, level: str, channel: str) -> str:
    """:func:`event_id` from the parts of an ``escalation_sends`` row (its id for operators)."""
    return str(uuid.uuid5(_EVENT_NS, f"{message_id}|{recipient}|{level}|{channel}"))


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Lienthong-Signature`` value of ``body``: ``sha256=`` and the hex HMAC."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str) -> bool:
    """True when ``header`` is the signature of ``body`` under ``secret`` (constant time)."""
    return hmac.compare_digest(sign(secret, body), header)


def load_secret(config: DeadlinesConfig, home: Path | None) -> bytes | None:
    """The webhook secret: the environment variable, else the file (relative to the
    home), else ``None``; ``config.invalid`` if a named file cannot be read or is empty."""
    text = os.environ.get(SECRET_ENV) or config.webhook_secret
    if not text and config.webhook_secret_file:
        path = Path(config.webhook_secret_file)
        if not path.is_absolute() and home is not None:
            path = home / path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"[deadlines] webhook_secret_file: cannot read {path}") from exc
        if not text.strip():
            raise ConfigError(f"[deadlines] webhook_secret_file: {path} is empty")
    return text.strip().encode() if text and text.strip() else None


@dataclass(frozen=True)
class Webhook:
    """POST the notice as JSON to ``url``, signed when there is a secret."""

    url: str
    secret: bytes | None

    def body(self, notice: NoticeLike, sent_at: datetime) -> bytes:
        """The exact bytes posted (and signed)."""
        payload = {
            "id": event_id(notice, "webhook"),
            **notice.to_json(),
            "sent_at": sent_at.isoformat(),
        }
        return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()

    async def __call__(self, notice: NoticeLike) -> str:
        """``sent: HTTP nnn`` or ``failed: …``."""
        body = self.body(notice, datetime.now(UTC))
        headers = {"Content-Type": "application/json", EVENT_HEADER: event_id(notice, "webhook")}
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        timeout = aiohttp.ClientTimeout(total=10)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.post(self.url, data=body, headers=headers) as resp,
            ):
                if resp.status >= 300:
                    return f"failed: HTTP {resp.status}"
                return f"sent: HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("escalation.webhook_failed", error=repr(exc))
            return f"failed: {type(exc).__name__}"


@dataclass(frozen=True)
class Mail:
    """Send the notice by SMTP (blocking: run it in a thread)."""

    host: str
    port: int
    sender: str
    to: tuple[str, ...]

    @classmethod
    def of(cls, config: DeadlinesConfig) -> Mail:
        """From ``[deadlines]``: ``smtp_host``, ``smtp_port``, ``mail_from``, ``mail_to``."""
        to = tuple(a.strip() for a in config.mail_to.split(",") if a.strip())
        sender = config.mail_from or "lienthong@localhost"
        return cls(config.smtp_host, config.smtp_port, sender, to)

    def message(self, notice: NoticeLike) -> EmailMessage:
        """The mail, its ``Message-ID`` the notification's id."""
        mail = EmailMessage()
        domain = self.sender.rpartition("@")[2] or "localhost"
        mail["Message-ID"] = f"<escalation.{event_id(notice, 'mail')}@{domain}>"
        mail["Subject"] = notice.text()
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.to)
        mail.set_content(
            f"{notice.text()}\nHạn: {notice.due_at.isoformat()}\nVăn bản: {notice.message_id}\n"
            f"Đơn vị gửi: {notice.sender}\nThông báo cho: {notice.unit}\n"
        )
        return mail

    def __call__(self, notice: NoticeLike) -> str:
        """``sent`` or ``failed: …``."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                smtp.send_message(self.message(notice))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("escalation.mail_failed", error=repr(exc))
            return f"failed: {type(exc).__name__}"
        return "sent"
