"""A client of a VXP axis (the national axis, a provincial LGSP, or another hub's ``/vxp``).

It speaks the SDKVXP 2.0.x wire (:mod:`adapters.axis.vxp_wire`) with the same methods as
:class:`adapters.axis.client.AxisClient`, so the upstream adapter uses either
(``options.protocol = "vxp"``). Unlike the SDK it builds a fresh header map for every
call (no stale keys) with a fresh ``timestamp``. Every request has a timeout and never
follows a redirect. A busy answer (503/429 with ``Retry-After``) is waited for and tried
again as in :class:`adapters.axis.client.AxisClient`. A network failure, a timeout, a 429
or a 5xx (left) is
:class:`gateway.errors.AdapterUnavailable` (worth a retry); any other refusal is
:class:`adapters.base.AdapterError` carrying the code that leads the remote
``ErrorDesc`` (``adapter.rejected`` when it names none).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import datetime
from functools import partial
from typing import Any, Final

from adapters.axis.client import UNREACHABLE, SignedClient
from adapters.axis.vxp_wire import (
    HASH_HEADER,
    PREFIX,
    SIGN_HEADER,
    SIGN_HEADER_KEY,
    VERSION_HEADER,
    java_hex,
    sign_header_mac,
)
from adapters.base import AdapterError
from gateway.errors import AdapterUnavailable, translated
from gateway.retry_after import BUSY_STATUSES, Busy, parse_retry_after, retrying

__all__ = ["VxpClient"]

_USER_AGENT: Final = "Lienthong-VXP/1.0 XRoad/VPCP"
_VERSION: Final = "3.0.201608"
_CODE_RE: Final = re.compile(r"^([a-z_]+(?:\.[a-z_]+)+): ")


def _timestamp(now: datetime) -> str:
    """The SDK's ``ddMMyyyy'T'HHmmss+SSSS``."""
    return now.strftime("%d%m%YT%H%M%S") + f"+{now.microsecond // 1000:04d}"


class VxpClient(SignedClient):
    """Signed VXP calls to ``base_url`` (the SDK's endpoint) as ``system_id``."""

    def headers(self, values: dict[str, str], content_type: str) -> dict[str, str]:
        """The signed headers of one call carrying ``values``."""
        fields = {"timestamp": _timestamp(datetime.now()), "systemid": self.system_id,
                  "Content-Type": content_type, **values}  # fmt: skip
        signed = {PREFIX + k: v for k, v in fields.items()}
        sign_header = json.dumps(signed, separators=(",", ":"))
        return {
            **signed,
            "Content-Type": content_type,
            SIGN_HEADER_KEY: ";".join(fields),
            SIGN_HEADER: sign_header,
            HASH_HEADER: sign_header_mac(self._secret, sign_header.encode()).decode(),
            "User-Agent": _USER_AGENT,
            VERSION_HEADER: _VERSION,
        }

    async def call(
        self,
        operation: str,
        values: dict[str, str],
        body: bytes = b"{}",
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        """One operation; its JSON answer when ``ErrorCode`` is ``"0"`` (again while the
        axis answers busy, with fresh signed headers each time)."""
        once = partial(self._call_once, operation, values, body, content_type)
        return await retrying(self.retry, once, what=f"vxp {operation} {self.base_url}")

    async def _call_once(
        self, operation: str, values: dict[str, str], body: bytes, content_type: str
    ) -> dict[str, Any]:
        headers = self.headers(values, content_type)
        url = f"{self.base_url}/{operation}"
        with translated(UNREACHABLE, f"vxp {self.base_url}"):
            async with self._open().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as resp:
                status, data = resp.status, await resp.read()
                asked = parse_retry_after(resp.headers.get("Retry-After"))
        try:
            return _answer(operation, status, data)
        except AdapterUnavailable as exc:
            if status in BUSY_STATUSES:
                raise Busy(exc, asked) from None
            raise

    async def send(self, edxml: bytes, messagetype: str) -> dict[str, Any]:
        """``sendEdoc``; the answer as the axis client gives it (``docId``)."""
        values = {"messagetype": messagetype, "servicetype": "eDoc",
                  "hash-file": java_hex(hashlib.sha256(edxml).digest())}  # fmt: skip
        answer = await self.call("sendEdoc", values, edxml + b"\r\n", "application/octet-stream")
        return {"status": "OK", "docId": str(answer.get("DocId", "")), "created": True}

    async def pending(self, *, messagetype: str = "all", limit: int = 100) -> list[dict[str, Any]]:
        """``getReceivedEdocList``: documents first, then statuses (``all``)."""
        kinds = ("edoc", "status") if messagetype == "all" else (messagetype,)
        rows: list[dict[str, Any]] = []
        for kind in kinds:
            answer = await self.call(
                "getReceivedEdocList", {"messagetype": kind, "servicetype": "eDoc"}, b""
            )
            rows.extend({**r, "messagetype": kind} for r in answer.get("data") or [])
        return rows[:limit]

    async def get(self, doc_id: str) -> tuple[str, bytes]:
        """``getEdoc``: ``("", edXML bytes)`` (the SDK's answer does not say the kind)."""
        answer = await self.call("getEdoc", {"docId": doc_id})
        try:
            return "", base64.b64decode(str(answer.get("data", "")), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AdapterError("vxp getEdoc: data is not base64", code="adapter.rejected") from exc

    async def confirm(self, doc_id: str, status: str, reason: str | None = None) -> None:
        """``updateStatus`` ``done`` / ``fail`` (VXP carries no reason)."""
        await self.call("updateStatus", {"docId": doc_id, "status": status})


def _answer(operation: str, status: int, data: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(data)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if status == 429 or status >= 500:
            raise AdapterUnavailable(f"vxp {operation} answered {status}")
        raise AdapterError(f"vxp {operation}: HTTP {status}, not JSON", code="adapter.rejected")
    if str(answer.get("ErrorCode")) == "0" and status < 300:
        return answer
    desc = str(answer.get("ErrorDesc", ""))
    if status == 429 or status >= 500:
        raise AdapterUnavailable(f"vxp {operation} answered {status}: {desc}")
    found = _CODE_RE.match(desc)
    code = found.group(1) if found else "adapter.rejected"
    raise AdapterError(f"vxp {operation} refused ({status}): {desc}", code=code)
