"""A client of an axis API (another hub, or a national axis speaking the same contract).

Every request is HMAC-signed (``adapters.axis.signing``), has a timeout and never
follows a redirect. A 503 or 429 with ``Retry-After`` (a hub under admission control) is
waited for and tried again, within the client's :class:`gateway.retry_after.RetryAfter`
(every call is safe to repeat: the axis maps the same edXML to the same document). A
network failure, a timeout, a 429 or a 5xx (left) is
:class:`gateway.errors.AdapterUnavailable` (worth a retry); any other refusal is
:class:`adapters.base.AdapterError` carrying the remote error code.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from adapters.axis.signing import signed_headers
from adapters.base import AdapterError
from gateway.errors import AdapterUnavailable, Translation, translated
from gateway.retry_after import BUSY_STATUSES, Busy, RetryAfter, parse_retry_after, retrying

__all__ = ["AxisClient", "SignedClient"]

_PREFIX = "/axis/v1"
#: What a connection failure or a timeout becomes: worth a retry.
UNREACHABLE: Translation = {(aiohttp.ClientError, TimeoutError): AdapterUnavailable}


class SignedClient:
    """An HTTP session to one axis at ``base_url``, as ``system_id`` with its secret;
    ``retry``: how busy answers (503/429 with ``Retry-After``) are retried."""

    def __init__(
        self,
        base_url: str,
        system_id: str,
        secret: str,
        *,
        timeout: float = 30.0,
        retry: RetryAfter | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.system_id = system_id
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self.retry = retry or RetryAfter()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def aclose(self) -> None:
        """Close the HTTP session (safe to call twice)."""
        if self._session is not None:
            await self._session.close()
            self._session = None


class AxisClient(SignedClient):
    """Signed calls to one axis at ``base_url`` as ``system_id`` (the ``/axis/v1`` API)."""

    async def _call(
        self,
        method: str,
        path_qs: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """One call, again while the axis answers busy (signed afresh each time)."""
        once = partial(self._call_once, method, path_qs, body, headers)
        return await retrying(self.retry, once, what=f"axis {method} {self.base_url}")

    async def _call_once(
        self, method: str, path_qs: str, body: bytes, headers: dict[str, str] | None
    ) -> tuple[dict[str, str], bytes]:
        all_headers = dict(headers or {})
        all_headers.update(signed_headers(self.system_id, self._secret, method, path_qs, body))
        url = self.base_url + path_qs
        with translated(UNREACHABLE, f"axis {self.base_url}"):
            async with self._open().request(
                method,
                URL(url, encoded=True),
                data=body or None,
                headers=all_headers,
                allow_redirects=False,
            ) as resp:
                data = await resp.read()
                if resp.status in BUSY_STATUSES:
                    asked = parse_retry_after(resp.headers.get("Retry-After"))
                    raise Busy(_refusal(resp.status, data), asked)
                if resp.status >= 300:
                    raise _refusal(resp.status, data)
                return dict(resp.headers), data

    async def send(self, edxml: bytes, messagetype: str) -> dict[str, Any]:
        """Send an edXML document or status; the axis answer (``docId``, ``created``)."""
        headers = {"Content-Type": "application/xml", "X-Axis-MessageType": messagetype}
        _, data = await self._call("POST", f"{_PREFIX}/edocs", edxml, headers)
        return dict(json.loads(data))

    async def pending(self, *, messagetype: str = "all", limit: int = 100) -> list[dict[str, Any]]:
        """The pending list of this system."""
        _, data = await self._call(
            "GET", f"{_PREFIX}/edocs?messagetype={messagetype}&limit={int(limit)}"
        )
        return list(json.loads(data)["items"])

    async def get(self, doc_id: str) -> tuple[str, bytes]:
        """``(messagetype, edXML bytes)`` of one pending item."""
        headers, data = await self._call("GET", f"{_PREFIX}/edocs/{_quote(doc_id)}")
        return headers.get("X-Axis-MessageType", ""), data

    async def confirm(self, doc_id: str, status: str, reason: str | None = None) -> None:
        """Tell the axis the item was taken (``done``) or could not be (``fail``)."""
        body = json.dumps({"status": status, "reason": reason}).encode()
        headers = {"Content-Type": "application/json"}
        await self._call("POST", f"{_PREFIX}/edocs/{_quote(doc_id)}/status", body, headers)


def _quote(doc_id: str) -> str:
    return quote(doc_id, safe="@")


def _refusal(status: int, data: bytes) -> Exception:
    code, message = "adapter.rejected", f"HTTP {status}"
    try:
        error = json.loads(data)["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        pass
    if status == 429 or status >= 500:
        return AdapterUnavailable(f"axis answered {status} {code}: {message}")
    return AdapterError(f"axis refused ({status} {code}): {message}", code=code)
