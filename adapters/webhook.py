"""Push each document or receipt to a unit's own HTTP endpoint, signed with HMAC-SHA256.

Features:
    - ``POST url`` with the signed envelope XML (``application/xml``) or the receipt JSON
      (``application/json``), and headers ``X-Lienthong-Timestamp`` (Unix seconds),
      ``X-Lienthong-Signature: sha256=<hex HMAC-SHA256 of timestamp + "." + body>``,
      ``X-Lienthong-Kind`` (``document``/``receipt``), ``X-Lienthong-Message-Id``,
      ``X-Lienthong-Receipt-Id`` (receipts) and ``X-Lienthong-Delivery`` (the idempotency
      key: the same item always carries the same value; receivers deduplicate on it).
    - The receiver fetches attachments through the normal API with its own token
      (``GET /api/v1/messages/{id}/attachments/{name}``) and posts later statuses through
      ``POST /api/v1/messages/{id}/receipts``.
    - 2xx: delivered; a JSON answer ``{"status": "01", "reason": "…"}`` is posted as the
      unit's status. 5xx, 408, 429, timeouts and connection errors: retried with backoff
      (``adapter.unavailable``). Other 4xx: the item fails (``adapter.rejected``).
    - Redirects are followed only for 307/308 to the same scheme, host and port, at most
      ``max_redirects`` times; any other redirect fails the item (``adapter.redirect``).

Config keys (``options``):
    ``url`` (required, http or https); ``secret``, ``secret_env`` (the name of an
    environment variable) or ``secret_file`` (one is required); ``timeout`` (seconds,
    default 10); ``max_redirects`` (default 3).

Example::

    [[adapters]]
    name = "webhook"
    unit = "000.00.13.H53"
    options = { url = "https://vpdt.example.gov.vn/lienthong/hook", secret_env = "H53_HOOK_SECRET" }
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import structlog
from yarl import URL

from adapters.base import Adapter, AdapterError, AdapterHealth, OutboundItem, SendResult
from gateway.envelope.model import Status
from gateway.errors import AdapterUnavailable, ConfigError, GatewayError
from gateway.untrusted import equal_secrets

__all__ = ["WebhookAdapter", "sign", "verify"]

log = structlog.get_logger("adapters.webhook")

_RETRY_STATUSES = frozenset({408, 429})
_MAX_ANSWER = 64 * 1024


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Lienthong-Signature`` value: ``sha256=`` + hex HMAC of ``ts.body``."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """For receivers: the signature matches and the timestamp is within ``tolerance``."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and equal_secrets(sign(secret, timestamp, body), signature)


def _secret(options: Mapping[str, Any]) -> bytes:
    if options.get("secret"):
        return str(options["secret"]).encode()
    if options.get("secret_env"):
        value = os.environ.get(str(options["secret_env"]))
        if not value:
            raise ConfigError(f"${options['secret_env']} is not set", code="config.invalid")
        return value.encode()
    if options.get("secret_file"):
        return Path(str(options["secret_file"])).read_bytes().strip()
    raise ConfigError("the webhook adapter needs a secret", code="config.invalid")


def _url(options: Mapping[str, Any]) -> URL:
    url = URL(str(options.get("url") or ""))
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError("the webhook adapter needs an http(s) url", code="config.invalid")
    return url


class WebhookAdapter(Adapter):
    """POSTs each item to the unit's URL; retries what is worth retrying."""

    name: ClassVar[str] = "webhook"
    capabilities: ClassVar[frozenset[str]] = frozenset({"send"})
    recoverable_errors: ClassVar[tuple[type[BaseException], ...]] = (AdapterUnavailable,)

    def __init__(self, *, unit: str, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(unit=unit, options=options)
        self.url = _url(self.options)
        self.secret = _secret(self.options)
        self.timeout = float(self.options.get("timeout", 10.0))
        self.max_redirects = int(self.options.get("max_redirects", 3))
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    def headers(self, item: OutboundItem, timestamp: str) -> dict[str, str]:
        """The request headers for ``item`` signed at ``timestamp``."""
        headers = {
            "Content-Type": item.content_type,
            "X-Lienthong-Timestamp": timestamp,
            "X-Lienthong-Signature": sign(self.secret, timestamp, item.body),
            "X-Lienthong-Kind": item.kind,
            "X-Lienthong-Message-Id": item.message_id,
            "X-Lienthong-Delivery": item.key,
            "X-Lienthong-Unit": item.unit,
        }
        if item.kind == "receipt":
            headers["X-Lienthong-Receipt-Id"] = item.ref
        return headers

    async def send(self, item: OutboundItem) -> SendResult:
        """POST the item; follow same-origin 307/308 only; map the answer to a result."""
        if self.closed:
            raise AdapterUnavailable("the webhook adapter is closed", code="adapter.unavailable")
        url = self.url
        for _ in range(self.max_redirects + 1):
            headers = self.headers(item, str(int(time.time())))
            status, location, answer = await self._post(url, item.body, headers)
            if status in (307, 308) and location is not None:
                url = self._same_origin(url, location)
                continue
            return self._result(status, answer, item)
        raise AdapterError(f"more than {self.max_redirects} redirects", code="adapter.redirect")

    async def _post(
        self, url: URL, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str | None, bytes]:
        try:
            async with self._client().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as resp:
                answer = await resp.content.read(_MAX_ANSWER)
                return resp.status, resp.headers.get("Location"), answer
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AdapterUnavailable(
                f"{self.url.host}: {type(exc).__name__}: {exc}", code="adapter.unavailable"
            ) from exc

    def _same_origin(self, current: URL, location: str) -> URL:
        target = current.join(URL(location))
        if (target.scheme, target.host, target.port) != (
            current.scheme,
            current.host,
            current.port,
        ):
            raise AdapterError(
                f"redirect to another host ({target.host}) refused", code="adapter.redirect"
            )
        return target

    def _result(self, status: int, answer: bytes, item: OutboundItem) -> SendResult:
        if 200 <= status < 300:
            return _parse_answer(answer, item)
        if status >= 500 or status in _RETRY_STATUSES:
            raise AdapterUnavailable(f"{self.url.host} answered {status}")
        if 300 <= status < 400:
            raise AdapterError(
                f"{self.url.host} answered redirect {status}", code="adapter.redirect"
            )
        raise AdapterError(f"{self.url.host} refused the item with {status}: {_snippet(answer)}")

    async def health(self) -> AdapterHealth:
        """Configured and not closed (no request is made: probes must stay cheap)."""
        return AdapterHealth(ok=not self.closed, detail="closed" if self.closed else "")

    async def aclose(self) -> None:
        """Close the HTTP session (once)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        await super().aclose()


def _parse_answer(answer: bytes, item: OutboundItem) -> SendResult:
    """``{"status": "01", "reason": …, "id": …}`` is optional; a bad one is only logged."""
    try:
        body = json.loads(answer) if answer.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return SendResult()
    if not isinstance(body, dict):
        return SendResult()
    status = body.get("status")
    reason = body.get("reason")
    try:
        code = Status.parse(str(status)).code if status is not None else None
    except GatewayError:
        log.warning("webhook.bad_status", key=item.key, status=str(status)[:20])
        code = None
    return SendResult(status=code, reason=str(reason) if reason is not None else None)


def _snippet(answer: bytes) -> str:
    return answer[:200].decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
