"""STAND-IN for VNPT's SDKVXP 2.0.1 (Java ``com.vpcp.services``), for tests only.

This is NOT part of Lienthong. It reproduces, in Python, what the SDK puts on the wire and
how it reads the answers, from the decompiled SDK classes (``VnptService``,
``KnobstickServiceImp``, ``AgencyServiceImp``, ``HttpConnection``, ``MultipartUtility``):

- the service object keeps one header map for its whole life: ``timestamp`` is set once,
  when the object is made (``ddMMyyyy'T'HHmmss+SSSS``), ``systemid`` from the config, and
  every key of every call's JSON header object stays in the map for later calls;
- every key ``k`` goes out as ``XroadVnpt-k``; ``XroadVnpt-sign-header`` is the Gson JSON
  of those headers in Java ``HashMap`` iteration order, ``XroadVnpt-sign-header-key`` the
  keys joined by ``;``, ``XroadVnpt-hash-header`` the hex HMAC-SHA256 of the sign-header
  keyed by the secret; then ``User-Agent`` and ``XroadVnpt-version``; ``Content-Type`` is
  the map's;
- ``sendEdoc`` puts ``hash-file`` (SHA-256 of the file, each byte by
  ``Integer.toHexString``: no leading zeros) and posts the file's bytes followed by CRLF,
  with no part headers (``MultipartUtility.addInputStreamPart``); ``getEdoc``,
  ``updateStatus``, the counts and ``deleteAgency`` post ``{}``; the list calls post an
  empty form; ``registerAgency`` posts its JSON;
- answers are read as the SDK reads them: ``status``, ``ErrorCode``, ``ErrorDesc`` and the
  operation's fields, whatever the HTTP status.

It deliberately imports nothing from ``gateway`` or ``adapters``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
VERSION = "3.0.201608"


# -- Java semantics the wire depends on ---------------------------------------------------


def java_string_hash(text: str) -> int:
    """``String.hashCode()`` over UTF-16 code units, as a signed 32-bit int."""
    data, h = text.encode("utf-16-be"), 0
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i : i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


class JavaHashMap:
    """A ``HashMap<String, String>``'s iteration order: by bucket, then insertion."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._seq: dict[str, int] = {}
        self._capacity = 16

    def put(self, key: str, value: str) -> None:
        """``put``: a new key takes the next place in its bucket; the table doubles at 75%."""
        if key not in self._values:
            self._seq[key] = len(self._seq)
            if len(self._values) + 1 > self._capacity * 3 // 4:
                self._capacity *= 2
        self._values[key] = value

    def _index(self, key: str) -> int:
        h = java_string_hash(key) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (self._capacity - 1)

    def items(self) -> list[tuple[str, str]]:
        """Entries in Java's iteration order."""
        keys = sorted(self._values, key=lambda k: (self._index(k), self._seq[k]))
        return [(k, self._values[k]) for k in keys]


def gson_string(text: str) -> str:
    """A JSON string as Gson's ``JsonWriter`` (not HTML-safe) writes it."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\t\b\n\r\f":
            out.append({"\t": "\\t", "\b": "\\b", "\n": "\\n", "\r": "\\r", "\f": "\\f"}[ch])
        elif ord(ch) < 0x20 or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def gson_object(items: list[tuple[str, str]]) -> str:
    """``JsonObject.toString()`` of string properties, in insertion order."""
    return "{" + ",".join(f"{gson_string(k)}:{gson_string(v)}" for k, v in items) + "}"


def java_hex(digest: bytes) -> str:
    """``Integer.toHexString(0xFF & b)`` per byte, concatenated (no zero padding)."""
    return "".join(format(b, "x") for b in digest)


def sdk_timestamp(at: datetime) -> str:
    """``new SimpleDateFormat("ddMMyyyy'T'HHmmss+SSSS").format(d)``."""
    return at.strftime("%d%m%YT%H%M%S") + f"+{at.microsecond // 1000:04d}"


def _as_string(value: Any) -> str:
    """``JsonElement.getAsString()`` of a primitive."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- the service objects ----------------------------------------------------------------


@dataclass
class SdkResult:
    """What an SDK result object holds (``status``, ``ErrorCode``, ``ErrorDesc``, fields)."""

    http_status: int
    status: str
    error_code: str
    error_desc: str
    answer: dict[str, Any] = field(default_factory=dict)
    data: Any = None

    @property
    def ok(self) -> bool:
        """``"0".equals(errorCode)``, as the SDK decides."""
        return self.error_code == "0"


class VnptService:
    """``VnptService``: the header map, the signature, the HTTP calls."""

    def __init__(self, endpoint: str, system_id: str, secret: str) -> None:
        self.endpoint, self.secret = endpoint.rstrip("/"), secret
        self.headers = JavaHashMap()
        self.headers.put("timestamp", sdk_timestamp(datetime.now()))
        self.headers.put("systemid", system_id)
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self.last_request_headers: dict[str, str] = {}

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.session.close()

    def take(
        self,
        json_headers: str,
        content_type: str = "application/json",
        raw_keys: tuple[str, ...] = (),
    ) -> None:
        """``Content-Type``, then every entry of a call's JSON header object, into the map
        (where they stay for later calls)."""
        self.headers.put("Content-Type", content_type)
        for key, value in json.loads(json_headers).items():
            if key in raw_keys:  # sendEdoc's "to": the element's JSON text
                self.headers.put(key, json.dumps(value, separators=(",", ":")))
            else:
                self.headers.put(key, _as_string(value))

    def wire_headers(self) -> dict[str, str]:
        """``addXroadVnptHashHeader()``: the headers every request carries."""
        out: dict[str, str] = {}
        signed: list[tuple[str, str]] = []
        for key, value in self.headers.items():
            if key == "Content-Type":
                out["Content-Type"] = value
            signed.append((f"XroadVnpt-{key}", value))
            out[f"XroadVnpt-{key}"] = value
        sign_header = gson_object(signed)
        mac = hmac.new(self.secret.encode(), sign_header.encode(), hashlib.sha256).hexdigest()
        out["XroadVnpt-sign-header-key"] = ";".join(k for k, _ in self.headers.items())
        out["XroadVnpt-sign-header"] = sign_header
        out["XroadVnpt-hash-header"] = mac
        out["User-Agent"] = USER_AGENT
        out["XroadVnpt-version"] = VERSION
        return out

    async def post(self, operation: str, body: bytes) -> tuple[int, bytes]:
        """One POST to ``endpoint/operation`` with the map's headers."""
        headers = self.wire_headers()
        self.last_request_headers = headers
        url = f"{self.endpoint}/{operation}"
        async with self.session.post(url, data=body, headers=headers) as resp:
            return resp.status, await resp.read()

    async def call(self, operation: str, body: bytes) -> SdkResult:
        """A call whose answer the SDK parses as JSON."""
        status, raw = await self.post(operation, body)
        answer = json.loads(raw)
        return SdkResult(
            http_status=status,
            status=str(answer["status"]),
            error_code=str(answer["ErrorCode"]),
            error_desc=str(answer["ErrorDesc"]),
            answer=answer,
        )

    async def list_call(self, operation: str, json_headers: str) -> SdkResult:
        """A list call: an empty form posted; ``data`` read when ``ErrorCode`` is "0"."""
        self.take(json_headers)
        result = await self.call(operation, b"")
        if result.ok:
            result.data = list(result.answer["data"])
        return result


class KnobstickService(VnptService):
    """``KnobstickServiceImp``: documents and statuses."""

    async def send_edoc(self, json_headers: str, edxml_path: Path) -> SdkResult:
        """``sendEdoc``: hash-file, then the file + CRLF as ``application/octet-stream``."""
        self.take(json_headers, "application/octet-stream", raw_keys=("to",))
        data = edxml_path.read_bytes()
        self.headers.put("hash-file", java_hex(hashlib.sha256(data).digest()))
        result = await self.call("sendEdoc", data + b"\r\n")
        result.data = result.answer["DocId"]  # read whatever the status
        return result

    async def get_received_edoc_list(self, json_headers: str) -> SdkResult:
        """``getReceivedEdocList``: the ``Knobstick`` rows."""
        return await self.list_call("getReceivedEdocList", json_headers)

    async def get_edoc(self, json_headers: str) -> SdkResult:
        """``getEdoc``: ``data`` base64-decoded as UTF-8, unless the status is FAIL."""
        self.take(json_headers)
        result = await self.call("getEdoc", b"{}")
        if result.status != "FAIL":
            result.data = base64.b64decode(result.answer["data"]).decode("utf-8").encode()
        return result

    async def download_edoc(self, json_headers: str) -> tuple[int, bytes]:
        """``downloadEdoc``: the raw body the SDK writes to ``<docId>.edxml``."""
        self.take(json_headers)
        return await self.post("downloadEdoc", b"{}")

    async def update_status(self, json_headers: str) -> SdkResult:
        """``updateStatus``: ``{"status": "done"|"fail"|"processing", "docId": ...}``."""
        self.take(json_headers)
        return await self.call("updateStatus", b"{}")

    async def get_sent_edoc_list(self, json_headers: str) -> SdkResult:
        """``getSentEdocList``: the ``StatusResult`` rows."""
        return await self.list_call("getSentEdocList", json_headers)

    async def count_receive_edoc(self, json_headers: str) -> SdkResult:
        """``countReceiveEdoc``: ``count`` unless FAIL."""
        return await self._count("countReceiveEdoc", json_headers)

    async def count_receive_status(self, json_headers: str) -> SdkResult:
        """``countReceiveStatus``: ``count`` unless FAIL."""
        return await self._count("countReceiveStatus", json_headers)

    async def _count(self, operation: str, json_headers: str) -> SdkResult:
        self.take(json_headers)
        result = await self.call(operation, b"{}")
        if result.status != "FAIL":
            result.data = int(result.answer["count"])
        return result


class AgencyService(VnptService):
    """``AgencyServiceImp``: the directory."""

    async def get_agencies_list(self, json_headers: str) -> SdkResult:
        """``getAgenciesList``."""
        return await self.list_call("getAgenciesList", json_headers)

    async def get_agencies_list_qd20(self, json_headers: str) -> SdkResult:
        """``getAgenciesListQD20``."""
        return await self.list_call("getAgenciesListQD20", json_headers)

    async def get_synchronize_unit(self, json_headers: str) -> SdkResult:
        """``getSynchronizeUnit``."""
        return await self.list_call("getSynchronizeUnit", json_headers)

    async def register_agency(self, json_headers: str, data: str) -> SdkResult:
        """``registerAgency``: ``data`` posted as ``application/json``."""
        self.take(json_headers)
        return await self.call("registerAgency", data.encode())

    async def delete_agency(self, json_headers: str) -> SdkResult:
        """``deleteAgency``: ``{"AgencyCode": ...}`` in the headers, ``{}`` posted."""
        self.take(json_headers)
        return await self.call("deleteAgency", b"{}")
