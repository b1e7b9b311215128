"""STAND-IN for an external office system (an iOffice-like "phần mềm QLVB"), for tests only.

This is NOT part of Lienthong. It plays the role of a unit's own document-management
software that was written for a document axis and knows nothing about the hub: it speaks
only the axis contract of ``docs/axis-api.md`` over real HTTP, with its own HMAC signing,
its own minimal edXML writer and reader (lxml, hardened parser), and the usual office
loop: poll the pending list, get each item, process it, confirm ``done``.

It deliberately imports nothing from ``gateway`` or ``adapters``, so a test that passes
with it shows the contract works for a client written from the document alone.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

import aiohttp
from lxml import etree

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
_VN = timezone(timedelta(hours=7))
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _now_vn() -> datetime:
    return datetime.now(UTC).astimezone(_VN)


def _stamp(at: datetime) -> str:
    return at.strftime("%Y/%m/%d %H:%M:%S")


@dataclass(frozen=True)
class OfficeFile:
    """An attachment as the office holds it."""

    name: str
    content_type: str
    data: bytes


@dataclass
class Received:
    """One item the office took from its pending list, as the office understood it."""

    doc_id: str
    messagetype: str
    sender: str
    document_id: str
    subject: str | None = None
    status_code: str | None = None
    description: str | None = None
    files: list[OfficeFile] = field(default_factory=list)
    raw: bytes = b""


# -- the office's own edXML writer ------------------------------------------------------


def _organ(tag: str, code: str, name: str) -> str:
    return (
        f"<edXML:{tag}><edXML:OrganId>{escape(code)}</edXML:OrganId>"
        f"<edXML:OrganName>{escape(name)}</edXML:OrganName></edXML:{tag}>"
    )


def document_edxml(
    *,
    sender: str,
    sender_name: str,
    to: list[str],
    document_id: str,
    subject: str,
    number: str,
    notation: str,
    files: list[OfficeFile],
    at: datetime,
    doc_type: str = "0",
    priority: str = "1",
) -> bytes:
    """A QCVN 102:2016 document message, written the way an office system writes one
    (``doc_type``: BussinessDocType, 0 new, 1 revoke, 2 update, 3 replace)."""
    tos = "".join(_organ("To", code, code) for code in to)
    refs = "".join(
        f"<edXML:Reference><edXML:ContentId>cid:{i + 1}</edXML:ContentId>"
        f"<edXML:ContentType>{escape(f.content_type)}</edXML:ContentType>"
        f"<edXML:Description>{escape(f.name)}</edXML:Description>"
        f"<edXML:AttachmentName>{escape(f.name)}</edXML:AttachmentName></edXML:Reference>"
        for i, f in enumerate(files)
    )
    encoded = "".join(
        f"<Attachment><ContentId>cid:{i + 1}</ContentId><AttachmentName>{escape(f.name)}"
        f"</AttachmentName><Description>{escape(f.name)}</Description><ContentType>"
        f"{escape(f.content_type)}</ContentType><edXML:ContentTransferEncoded xmlns:edXML="
        f'"{NS}">{base64.b64encode(f.data).decode()}</edXML:ContentTransferEncoded></Attachment>'
        for i, f in enumerate(files)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="{NS}">'
        f'<edXML:edXMLEnvelope xmlns:edXML="{NS}"><edXML:edXMLHeader><edXML:MessageHeader>'
        f"{_organ('From', sender, sender_name)}{tos}"
        f"<edXML:DocumentId>{escape(document_id)}</edXML:DocumentId>"
        f"<edXML:Code><edXML:CodeNumber>{escape(number)}</edXML:CodeNumber>"
        f"<edXML:CodeNotation>{escape(notation)}</edXML:CodeNotation></edXML:Code>"
        f"<edXML:PromulgationInfo><edXML:Place>An Giang</edXML:Place><edXML:PromulgationDate>"
        f"{at.strftime('%Y/%m/%d')}</edXML:PromulgationDate></edXML:PromulgationInfo>"
        f"<edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeName>Công văn</edXML:TypeName>"
        f"</edXML:DocumentType><edXML:Subject>{escape(subject)}</edXML:Subject>"
        f"<edXML:SignerInfo><edXML:Position>Chánh Văn phòng</edXML:Position>"
        f"<edXML:FullName>Nguyễn Văn A</edXML:FullName></edXML:SignerInfo>"
        f"<edXML:OtherInfo><edXML:Priority>{priority}</edXML:Priority></edXML:OtherInfo>"
        f"</edXML:MessageHeader><edXML:TraceHeaderList><edXML:TraceHeader>"
        f"<edXML:OrganId>{escape(sender)}</edXML:OrganId><edXML:Timestamp>{_stamp(at)}"
        f"</edXML:Timestamp></edXML:TraceHeader><edXML:Bussiness><edXML:BussinessDocType>{doc_type}"
        f"</edXML:BussinessDocType><edXML:StaffInfo><edXML:Department>Văn thư</edXML:Department>"
        f"<edXML:Staff>Trần Thị B</edXML:Staff></edXML:StaffInfo></edXML:Bussiness>"
        f"</edXML:TraceHeaderList></edXML:edXMLHeader><edXML:edXMLBody>"
        f'<edXML:edXMLManifest version="1.0">{refs}</edXML:edXMLManifest></edXML:edXMLBody>'
        f"</edXML:edXMLEnvelope><AttachmentEncoded>{encoded}</AttachmentEncoded></edXML>"
    ).encode()


def status_edxml(
    *,
    sender: str,
    sender_name: str,
    document_id: str,
    response_organ: str,
    code: str,
    description: str | None,
    at: datetime,
) -> bytes:
    """A QCVN 102:2016 status message."""
    desc = f"<edXML:Description>{escape(description)}</edXML:Description>" if description else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="{NS}">'
        f'<edXML:edXMLEnvelope xmlns:edXML="{NS}"><edXML:edXMLHeader><edXML:MessageHeader>'
        f"{_organ('From', sender, sender_name)}<edXML:ResponseFor>"
        f"<edXML:OrganId>{escape(response_organ)}</edXML:OrganId>"
        f"<edXML:DocumentId>{escape(document_id)}</edXML:DocumentId></edXML:ResponseFor>"
        f"<edXML:StaffInfo><edXML:Department>Văn thư</edXML:Department>"
        f"<edXML:Staff>Lê Văn C</edXML:Staff></edXML:StaffInfo>"
        f"<edXML:StatusCode>{code}</edXML:StatusCode>{desc}"
        f"<edXML:Timestamp>{_stamp(at)}</edXML:Timestamp>"
        f"</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>"
    ).encode()


# -- the office's own edXML reader ------------------------------------------------------


def _text(root: etree._Element, path: str) -> str | None:
    found = root.find(path, {"e": NS})
    return found.text.strip() if found is not None and found.text else None


def parse_received(doc_id: str, messagetype: str, data: bytes) -> Received:
    """What the office reads out of an edXML message it was given."""
    root = etree.fromstring(data, _PARSER)
    header = ".//e:MessageHeader"
    item = Received(
        doc_id=doc_id,
        messagetype=messagetype,
        sender=_text(root, f"{header}/e:From/e:OrganId") or "",
        document_id=_text(root, f"{header}/e:DocumentId")
        or _text(root, f"{header}/e:ResponseFor/e:DocumentId")
        or "",
        subject=_text(root, f"{header}/e:Subject"),
        status_code=_text(root, f"{header}/e:StatusCode"),
        description=_text(root, f"{header}/e:Description"),
        raw=data,
    )
    for att in root.iter(f"{{{NS}}}Attachment", "Attachment"):
        encoded = att.find(f"{{{NS}}}ContentTransferEncoded")
        name = att.findtext(f"{{{NS}}}AttachmentName") or att.findtext("AttachmentName") or ""
        kind = att.findtext(f"{{{NS}}}ContentType") or att.findtext("ContentType") or ""
        if encoded is not None and encoded.text:
            item.files.append(OfficeFile(name, kind, base64.b64decode(encoded.text)))
    return item


# -- the office program -----------------------------------------------------------------


class StandInOffice:
    """An office system of one unit, connected to an axis at ``base_url``."""

    def __init__(self, base_url: str, *, system_id: str, secret: str, unit: str, name: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.system_id, self.secret, self.unit, self.name = system_id, secret, unit, name
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self.bearer: str | None = None
        self.inbox: list[Received] = []

    async def close(self) -> None:
        """Close the office's HTTP session."""
        await self.session.close()

    # transport -------------------------------------------------------------------------

    def _sign(self, method: str, path_qs: str, body: bytes) -> dict[str, str]:
        if self.bearer:
            return {"Authorization": f"Bearer {self.bearer}"}
        stamp, nonce = str(int(time.time())), uuid.uuid4().hex
        text = f"{method}\n{path_qs}\n{stamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}"
        mac = hmac.new(self.secret.encode(), text.encode(), hashlib.sha256).hexdigest()
        return {"X-Axis-SystemId": self.system_id, "X-Axis-Timestamp": stamp,
                "X-Axis-Nonce": nonce, "X-Axis-Signature": mac}  # fmt: skip

    async def call(
        self, method: str, path_qs: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One request to the axis: (status, headers, body)."""
        all_headers = {**(headers or {}), **self._sign(method, path_qs, body)}
        async with self.session.request(
            method, self.base_url + path_qs, data=body or None, headers=all_headers
        ) as resp:
            return resp.status, dict(resp.headers), await resp.read()

    async def login_oauth(self) -> str:
        """Switch to OAuth2 client credentials: get a bearer token and use it from now on."""
        form = {"grant_type": "client_credentials", "client_id": self.system_id,
                "client_secret": self.secret}  # fmt: skip
        async with self.session.post(f"{self.base_url}/axis/oauth/token", data=form) as resp:
            body = await resp.json()
            assert resp.status == 200, body
        self.bearer = str(body["access_token"])
        return self.bearer

    async def _json(self, method: str, path_qs: str, body: bytes = b"", **headers: str) -> Any:
        status, _, data = await self.call(method, path_qs, body, headers)
        answer = json.loads(data)
        if status >= 300:
            raise OfficeError(status, answer)
        return answer

    # the office's operations -------------------------------------------------------------

    def new_document_id(self, number: str) -> str:
        """A DocumentId the way offices build them: unit, date, number/notation."""
        return f"{self.unit},{_now_vn():%Y/%m/%d},{number}/{uuid.uuid4().hex[:6]}"

    async def send_document(
        self,
        to: list[str],
        subject: str,
        files: list[OfficeFile],
        *,
        number: str = "12",
        doc_type: str = "0",
        document_id: str | None = None,
        priority: str = "1",
    ) -> tuple[str, dict[str, Any]]:
        """Send a document (new; or with ``doc_type`` 1/2/3 and the DocumentId it
        changes); returns (its DocumentId, the axis answer)."""
        document_id = document_id or self.new_document_id(number)
        body = document_edxml(
            sender=self.unit, sender_name=self.name, to=to, document_id=document_id,
            subject=subject, number=number, notation="VP", files=files, at=_now_vn(),
            doc_type=doc_type, priority=priority,
        )  # fmt: skip
        answer = await self._json(
            "POST", "/axis/v1/edocs", body,
            **{"Content-Type": "application/xml", "X-Axis-MessageType": "edoc"},
        )  # fmt: skip
        return document_id, answer

    async def send_status(
        self, document_id: str, code: str, *, about: str, description: str | None = None
    ) -> dict[str, Any]:
        """Report a status (01…16) on a document; ``about`` is the ResponseFor organ."""
        body = status_edxml(
            sender=self.unit, sender_name=self.name, document_id=document_id,
            response_organ=about, code=code, description=description, at=_now_vn(),
        )  # fmt: skip
        headers = {"Content-Type": "application/xml", "X-Axis-MessageType": "status"}
        return dict(await self._json("POST", "/axis/v1/edocs", body, **headers))

    async def pending(self, messagetype: str = "all", wait: float = 0) -> list[dict[str, Any]]:
        """The pending list (long-polling up to ``wait`` seconds)."""
        query = f"messagetype={messagetype}&limit=100" + (f"&wait={wait:g}" if wait else "")
        answer = await self._json("GET", f"/axis/v1/edocs?{query}")
        return list(answer["items"])

    async def confirm(self, doc_id: str, status: str = "done", reason: str | None = None) -> Any:
        """Tell the axis the item was processed (done) or not (fail)."""
        body = json.dumps({"status": status, "reason": reason}).encode()
        return await self._json(
            "POST", f"/axis/v1/edocs/{doc_id}/status", body, **{"Content-Type": "application/json"}
        )

    async def receive_once(self) -> list[Received]:
        """One office cycle: list, get each, store it, confirm done."""
        got: list[Received] = []
        for entry in await self.pending():
            status, headers, data = await self.call("GET", f"/axis/v1/edocs/{entry['docId']}")
            if status != 200:
                await self.confirm(entry["docId"], "fail", f"HTTP {status}")
                continue
            got.append(parse_received(entry["docId"], headers["X-Axis-MessageType"], data))
            await self.confirm(entry["docId"], "done")
        self.inbox.extend(got)
        return got

    async def receive_until(self, predicate: Any, timeout: float = 10.0) -> list[Received]:
        """Poll (as offices do) until ``predicate(inbox)`` holds; the new items."""
        start, deadline = len(self.inbox), time.monotonic() + timeout
        while not predicate(self.inbox):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.unit}: timed out; inbox={self.inbox}")
            if not await self.receive_once():
                await asyncio.sleep(0.1)
        return self.inbox[start:]


class OfficeError(Exception):
    """The axis refused a request."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body

    @property
    def code(self) -> str:
        """The error code in the axis answer."""
        return str(self.body.get("error", {}).get("code", ""))
