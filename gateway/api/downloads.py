"""Sending stored files: a safe ``Content-Disposition`` and a streamed, ranged response."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Final
from urllib.parse import quote

from aiohttp import web

from gateway.envelope.model import Attachment
from gateway.errors import RequestError
from gateway.facade import ExportLike

__all__ = [
    "RangeNotSatisfiable",
    "attachment_response",
    "check_range",
    "content_disposition",
    "export_response",
    "safe_media_type",
]

#: Characters kept in the ASCII fallback ``filename="..."``; everything else becomes ``_``.
_UNSAFE_ASCII: Final = re.compile(r"[^A-Za-z0-9 !#$&+,\-.^_`{}~()\[\]=@;']")
_FALLBACK: Final = "attachment"
_EMPTY_SUFFIX: Final = re.compile(r"\s*bytes\s*=\s*-\s*0+\s*")
_MEDIA_TYPE: Final = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")


def _ascii_fallback(name: str) -> str:
    base = Path(name.replace("\\", "/")).name  # never a path, even one from outside
    folded = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    safe = _UNSAFE_ASCII.sub("_", folded).strip(" .")
    return safe or _FALLBACK


def safe_media_type(media_type: str | None) -> str:
    """``media_type`` if it is a plain ``type/subtype``, else ``application/octet-stream``."""
    if media_type and _MEDIA_TYPE.fullmatch(media_type):
        return media_type
    return "application/octet-stream"


def check_range(request: web.Request, size: int) -> None:
    """Refuse a malformed or unsatisfiable ``Range`` with 416 ``request.bad_range`` (JSON)."""
    if "Range" not in request.headers:
        return
    if _EMPTY_SUFFIX.fullmatch(request.headers["Range"]):
        raise RangeNotSatisfiable(size)  # the last 0 bytes: aiohttp would send them all
    try:
        wanted = request.http_range
    except ValueError:
        raise RangeNotSatisfiable(size) from None
    if wanted.start is None and wanted.stop is None:
        raise RangeNotSatisfiable(size)
    if wanted.start is not None and wanted.start >= size:
        raise RangeNotSatisfiable(size)


class RangeNotSatisfiable(RequestError):
    """A Range header that cannot be served; the response names the real length."""

    def __init__(self, size: int) -> None:
        super().__init__(
            "the Range header cannot be satisfied", code="request.bad_range", http_status=416
        )
        self.headers = {"Content-Range": f"bytes */{size}"}


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """An RFC 6266 header: an ASCII ``filename`` fallback and the exact name, RFC 5987 encoded.

    The name is never echoed raw: quotes, CR/LF, path separators and non-ASCII
    characters cannot break out of the header or become a path on the client.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1] or _FALLBACK
    encoded = quote(base, safe="")
    return f"{disposition}; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"


def attachment_response(attachment: Attachment, path: Path) -> web.FileResponse:
    """Stream the blob at ``path`` as ``attachment``; aiohttp answers Range with 206 or 416."""
    response = web.FileResponse(path, chunk_size=256 * 1024)
    response.headers["Content-Type"] = safe_media_type(attachment.media_type)
    response.headers["Content-Disposition"] = content_disposition(attachment.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def export_response(export: ExportLike) -> web.Response:
    """A search export (CSV or XLSX) as a download, never cached."""
    return web.Response(
        body=export.body,
        headers={
            "Content-Type": export.content_type,
            "Content-Disposition": content_disposition(export.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
