"""Reading submissions: a signed XML body, or multipart metadata + files streamed to blobs.

Files never sit whole in memory: each ``file`` part is read chunk by chunk, charged to
the request's byte budget, and written straight into the content-addressed blob store.
written straight into the content-addressed blob store by the hub's checked
``Hub.store_upload`` (a unit only). Every blob stored is held there and handed to the
caller's ``stored`` list, so the blobs of a submission that is then refused can be removed
(``Hub.finish_upload``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from gateway.api.downloads import safe_media_type
from gateway.api.limits import ByteBudget, limited_chunks
from gateway.errors import RequestError
from gateway.facade import BlobRefLike, HubFacade, PrincipalLike
from gateway.untrusted import clean_text, parse_json_object, parsing

__all__ = [
    "StoreUpload",
    "UploadedPart",
    "read_body",
    "read_multipart",
    "store_part",
    "upload_filename",
    "uploader",
]

_CHUNK: Final = 256 * 1024
_MAX_METADATA: Final = 256 * 1024
_MAX_FILES: Final = 1000
_PERCENT: Final = re.compile(r"%[0-9A-Fa-f]{2}")


#: Streams one uploaded file into the hub within ``max_bytes`` (:func:`uploader`).
StoreUpload = Callable[[AsyncIterable[bytes], int], Awaitable[BlobRefLike]]


def uploader(hub: HubFacade, p: PrincipalLike) -> StoreUpload:
    """``p``'s uploads through the hub's checked ``store_upload`` (a unit only)."""

    async def store(chunks: AsyncIterable[bytes], max_bytes: int) -> BlobRefLike:
        return await hub.store_upload(p, chunks, max_bytes=max_bytes)

    return store


async def store_part(
    part: BodyPartReader, store: StoreUpload, budget: ByteBudget, stored: list[Any]
) -> BlobRefLike:
    """One file part streamed through ``store``, charged to ``budget`` as it arrives; its
    (held) blob appended to ``stored`` for ``Hub.finish_upload``."""
    ref = await store(limited_chunks(_part_chunks(part), budget), max(budget.left, 0))
    stored.append(ref)
    return ref


@dataclass(frozen=True, slots=True)
class UploadedPart:
    """One uploaded file, already in the blob store (the facade's ``UploadedFile`` shape)."""

    name: str
    media_type: str
    sha256: str
    size: int


async def read_body(request: web.Request, budget: ByteBudget) -> bytes:
    """The whole (small) body, charged to ``budget`` as it arrives."""
    parts = [chunk async for chunk in limited_chunks(_request_chunks(request), budget)]
    return b"".join(parts)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """A small JSON object body (at most 64 KiB), else ``request.bad_json`` or
    ``limit.body_too_large``."""
    return parse_json_object(await read_body(request, ByteBudget(64 * 1024)), "the body")


async def _request_chunks(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(_CHUNK):
        yield chunk


async def _part_chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(_CHUNK):
        yield chunk


async def read_multipart(
    request: web.Request, store: StoreUpload, budget: ByteBudget, stored: list[Any]
) -> tuple[dict[str, Any], list[UploadedPart]]:
    """The one ``metadata`` JSON part and every ``file`` part (stored as it streams in;
    each blob reference is appended to ``stored`` as soon as it is written)."""
    with parsing("the multipart body"):
        reader = await _open(request)
        metadata: dict[str, Any] | None = None
        files: list[UploadedPart] = []
        while (part := await _next_part(reader)) is not None:
            if part.name == "metadata":
                if metadata is not None:
                    raise RequestError("only one metadata part is allowed", code="request.invalid")
                metadata = await _read_metadata(part, budget)
            elif part.name == "file":
                if len(files) >= _MAX_FILES:
                    raise RequestError("too many file parts", code="request.invalid")
                files.append(await _store_file(part, store, budget, stored))
            else:
                raise RequestError(f"unexpected form part {part.name!r}", code="request.invalid")
    if metadata is None:
        raise RequestError("the metadata part is missing", code="request.missing_field")
    return metadata, files


def _bad_multipart(why: str) -> RequestError:
    return RequestError(f"bad multipart body: {why}", code="request.bad_multipart")


async def _open(request: web.Request) -> MultipartReader:
    try:
        return await request.multipart()
    except ValueError:
        raise _bad_multipart("the Content-Type names no valid boundary") from None


async def _next_part(reader: MultipartReader) -> BodyPartReader | None:
    try:
        part = await reader.next()
    except ValueError:
        raise _bad_multipart("the body does not start with the declared boundary") from None
    except HttpProcessingError:
        raise _bad_multipart("a part header holds control characters or is malformed") from None
    if part is None or isinstance(part, BodyPartReader):
        return part
    raise RequestError("nested multipart is not accepted", code="request.invalid")


async def _read_metadata(part: BodyPartReader, budget: ByteBudget) -> dict[str, Any]:
    raw = bytearray()
    async for chunk in limited_chunks(_part_chunks(part), budget):
        raw += chunk
        if len(raw) > _MAX_METADATA:
            raise RequestError("the metadata part is too large", code="request.invalid")
    return parse_json_object(bytes(raw), "metadata")


def upload_filename(raw: str) -> str:
    """The file name a client meant: percent-decoded when encoded as RFC 7578 §4.2 allows
    (aiohttp clients do this), NFC-normalised so one name has one spelling."""
    name = raw
    if _PERCENT.search(raw):
        try:
            name = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            name = raw
    return unicodedata.normalize("NFC", name)


async def _store_file(
    part: BodyPartReader, store: StoreUpload, budget: ByteBudget, stored: list[Any]
) -> UploadedPart:
    if not part.filename:
        raise RequestError("a file part has no filename", code="request.missing_field")
    name = clean_text(upload_filename(part.filename), "filename")
    media_type = safe_media_type(part.headers.get("Content-Type"))
    ref = await store_part(part, store, budget, stored)
    return UploadedPart(name=name, media_type=media_type, sha256=ref.sha256, size=ref.size)
