"""Refuse a submission at the door while the hub is at its bound (``hub.overloaded``).

The hub's submit methods hold an admission slot (:mod:`gateway.pipeline.admission`) and
refuse there too; this middleware only asks the same question before a submission's body
is read, so a refused sender costs a header check, not a multipart upload.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.pipeline.admission import Admission

__all__ = ["ADMISSION", "SUBMISSIONS", "admission_middleware"]

ADMISSION: Final = web.AppKey("admission", Admission)

#: (method, path) of every route that submits a document: the API, ``/axis``, ``/vxp``.
SUBMISSIONS: Final = frozenset(
    {
        ("POST", "/api/v1/messages"),
        ("POST", "/axis/v1/edocs"),
        ("POST", "/vxp/sendEdoc"),
        ("GET", "/vxp/sendEdoc"),
    }
)


@web.middleware
async def admission_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """503 ``hub.overloaded`` with ``Retry-After`` for a submission the hub would refuse."""
    admission = request.app.get(ADMISSION)
    if admission is not None and (request.method, request.path) in SUBMISSIONS:
        admission.check()
    return await handler(request)
