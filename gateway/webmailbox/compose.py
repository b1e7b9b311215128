"""Reading the send form as it streams: text fields, then files straight to the blob store.

The form is ``multipart/form-data`` with the CSRF token as its first field; a file part
before a checked token is refused before any of it is stored. Each file is written to
the content-addressed blob store chunk by chunk (never whole in memory) through the hub's
checked ``Hub.store_upload`` (the session's unit), charged to the hub's body limit, and
held until the submission is decided (``Hub.finish_upload``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from gateway.api.downloads import safe_media_type
from gateway.api.limits import ByteBudget, limited_chunks
from gateway.api.uploads import StoreUpload, UploadedPart, store_part, upload_filename
from gateway.envelope.codec import envelope_from_element
from gateway.envelope.model import Envelope
from gateway.errors import CsrfError, RequestError
from gateway.untrusted import clean_text, equal_secrets
from gateway.xmlsafe import parse_xml

__all__ = ["SendForm", "envelope_of", "read_send_form"]

_CHUNK: Final = 256 * 1024
_MAX_FIELD: Final = 8 * 1024
_MAX_FILES: Final = 100
#: Form fields copied into the metadata JSON of a submission as they are.
TEXT_FIELDS: Final = (
    "subject", "number", "notation", "doc_type", "signer", "urgency", "due_date", "issued_on",
    "kind", "refers_to",
)  # fmt: skip


@dataclass
class SendForm:
    """What the send form held: recipients, metadata fields, stored files."""

    to: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    files: list[UploadedPart] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        """The multipart-submit metadata JSON of DESIGN.md (empty fields left out)."""
        meta: dict[str, Any] = {k: v for k, v in self.fields.items() if v}
        return {**meta, "to": self.to}


async def read_send_form(
    request: web.Request, csrf: str, store: StoreUpload, budget: ByteBudget, stored: list[Any]
) -> SendForm:
    """The form of ``request``, its files stored through ``store`` (each ref appended to
    ``stored``)."""
    form, checked = SendForm(), False
    reader = await _open(request)
    while (part := await _next(reader)) is not None:
        if part.name == "csrf":
            checked = equal_secrets(await _text(part, budget), csrf)
        if not checked:
            raise CsrfError("CSRF token missing or wrong")
        if part.name == "file":
            await _file(part, form, store, budget, stored)
        elif part.name == "to":
            form.to.extend(c.strip() for c in (await _text(part, budget)).split(",") if c.strip())
        elif part.name in TEXT_FIELDS:
            if part.name in form.fields:  # which of two kinds or references was meant?
                raise RequestError(f"form field {part.name!r} given twice", code="request.invalid")
            form.fields[str(part.name)] = (await _text(part, budget)).strip()
        elif part.name != "csrf":
            raise RequestError(f"unexpected form field {part.name!r}", code="request.invalid")
    if not checked:
        raise CsrfError("CSRF token missing or wrong")
    return form


def envelope_of(xml: bytes) -> Envelope:
    """The envelope of a stored (already verified) message's XML."""
    return envelope_from_element(parse_xml(xml, max_bytes=len(xml) + 1))


async def _open(request: web.Request) -> MultipartReader:
    if request.content_type != "multipart/form-data":
        raise RequestError("send the form as multipart/form-data", code="request.invalid")
    try:
        return await request.multipart()
    except ValueError:
        raise RequestError("bad multipart body", code="request.bad_multipart") from None


async def _next(reader: MultipartReader) -> BodyPartReader | None:
    try:
        part = await reader.next()
    except (ValueError, HttpProcessingError):
        raise RequestError("bad multipart body", code="request.bad_multipart") from None
    if part is None or isinstance(part, BodyPartReader):
        return part
    raise RequestError("nested multipart is not accepted", code="request.invalid")


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(_CHUNK):
        yield chunk


async def _text(part: BodyPartReader, budget: ByteBudget) -> str:
    raw = bytearray()
    async for chunk in limited_chunks(_chunks(part), budget):
        raw += chunk
        if len(raw) > _MAX_FIELD:
            raise RequestError(f"the field {part.name!r} is too long", code="request.invalid")
    try:
        return clean_text(raw.decode("utf-8"), str(part.name))
    except UnicodeDecodeError:
        raise RequestError(f"{part.name!r} is not UTF-8", code="request.invalid") from None


async def _file(
    part: BodyPartReader, form: SendForm, store: StoreUpload, budget: ByteBudget, stored: list[Any]
) -> None:
    if not part.filename:  # a browser sends an empty part for a file input left empty
        async for _ in _chunks(part):
            pass
        return
    if len(form.files) >= _MAX_FILES:
        raise RequestError("too many files", code="request.invalid")
    name = clean_text(upload_filename(part.filename), "filename")
    ref = await store_part(part, store, budget, stored)
    media_type = safe_media_type(part.headers.get("Content-Type"))
    form.files.append(UploadedPart(name, media_type, ref.sha256, ref.size))
