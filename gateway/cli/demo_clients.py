"""How the demo's units talk to the hub: real HTTP (the default) or the facade directly.

Both clients do what an endpoint does: send a document (metadata + files), read the
mailbox (long-poll), post a status, ack an item, read a status.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import aiohttp

from gateway.directory import Principal
from gateway.errors import GatewayError
from gateway.hub import Hub, UploadedFile

__all__ = ["DemoClient", "DirectClient", "HttpClient"]

File = tuple[str, bytes, str]  # name, content, media type


class DemoClient(Protocol):
    """One unit's connection to the hub."""

    unit: str

    async def send(self, metadata: dict[str, Any], files: list[File]) -> str:
        """Submit a document; its message id."""
        ...

    async def mailbox(self, wait: float, limit: int) -> list[dict[str, Any]]:
        """Pending items."""
        ...

    async def post_status(self, message_id: str, status: str, reason: str | None) -> str:
        """Post a status about a document received; the receipt id."""
        ...

    async def ack(self, item_id: str) -> None:
        """Take an item off the pending list."""
        ...

    async def status(self, message_id: str) -> dict[str, Any]:
        """The message's status JSON."""
        ...


class HttpError(GatewayError):
    """The hub answered an HTTP error."""


class HttpClient:
    """A unit talking to the hub's HTTP API with its bearer token."""

    def __init__(self, session: aiohttp.ClientSession, base: str, unit: str, token: str) -> None:
        self.session = session
        self.base = base.rstrip("/")
        self.unit = unit
        self.headers = {"Authorization": f"Bearer {token}"}

    async def _json(self, resp: aiohttp.ClientResponse) -> dict[str, Any]:
        text = await resp.text()
        if resp.status >= 400:
            try:
                error = json.loads(text)["error"]
                code, message = str(error["code"]), str(error["message"])
            except (ValueError, KeyError, TypeError):
                code, message = "gateway.error", text[:200]
            raise HttpError(f"HTTP {resp.status}: {message}", code=code)
        data: dict[str, Any] = json.loads(text)
        return data

    async def send(self, metadata: dict[str, Any], files: list[File]) -> str:
        """POST /api/v1/messages (multipart)."""
        form = aiohttp.FormData()
        form.add_field("metadata", json.dumps(metadata), content_type="application/json")
        for name, content, media_type in files:
            form.add_field("file", content, filename=name, content_type=media_type)
        url = f"{self.base}/api/v1/messages"
        async with self.session.post(url, data=form, headers=self.headers) as resp:
            return str((await self._json(resp))["id"])

    async def mailbox(self, wait: float, limit: int) -> list[dict[str, Any]]:
        """GET /api/v1/mailbox (long-poll)."""
        url = f"{self.base}/api/v1/mailbox"
        params = {"wait": str(wait), "limit": str(limit)}
        async with self.session.get(url, params=params, headers=self.headers) as resp:
            items: list[dict[str, Any]] = (await self._json(resp))["items"]
            return items

    async def post_status(self, message_id: str, status: str, reason: str | None) -> str:
        """POST /api/v1/messages/{id}/receipts."""
        url = f"{self.base}/api/v1/messages/{message_id}/receipts"
        body = {"status": status, "reason": reason}
        async with self.session.post(url, json=body, headers=self.headers) as resp:
            return str((await self._json(resp))["receipt_id"])

    async def ack(self, item_id: str) -> None:
        """POST /api/v1/mailbox/{item}/ack."""
        url = f"{self.base}/api/v1/mailbox/{item_id}/ack"
        async with self.session.post(url, headers=self.headers) as resp:
            await self._json(resp)

    async def status(self, message_id: str) -> dict[str, Any]:
        """GET /api/v1/messages/{id}/status."""
        url = f"{self.base}/api/v1/messages/{message_id}/status"
        async with self.session.get(url, headers=self.headers) as resp:
            return await self._json(resp)


class DirectClient:
    """A unit calling the hub facade in process (no HTTP)."""

    def __init__(self, hub: Hub, unit: str) -> None:
        self.hub = hub
        self.unit = unit
        self.principal = Principal(unit=unit)

    async def send(self, metadata: dict[str, Any], files: list[File]) -> str:
        """Store the files, then ``submit_document``."""
        uploaded = []
        for name, content, media_type in files:
            ref = await self.hub.blobs.put_bytes(content)
            uploaded.append(UploadedFile(name, media_type, ref.sha256, ref.size))
        result = await self.hub.submit_document(self.principal, metadata, uploaded)
        return result.message_id

    async def mailbox(self, wait: float, limit: int) -> list[dict[str, Any]]:
        """``Hub.mailbox``."""
        return await self.hub.mailbox(self.principal, wait=wait, limit=limit)

    async def post_status(self, message_id: str, status: str, reason: str | None) -> str:
        """``Hub.post_receipt``."""
        return await self.hub.post_receipt(self.principal, message_id, status=status, reason=reason)

    async def ack(self, item_id: str) -> None:
        """``Hub.ack_item``."""
        await self.hub.ack_item(self.principal, item_id)

    async def status(self, message_id: str) -> dict[str, Any]:
        """``Hub.status``."""
        return await self.hub.status(self.principal, message_id)
