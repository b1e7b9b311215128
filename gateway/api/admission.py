"""Refuse a submission at the door while the hub is at its bound (``hub.overloaded``).

The hub's submit methods hold an admission slot (:mod:`gateway.pipeline.admission`); for
the HTTP routes that submit, this middleware takes it before the body is read (the submit
method then holds no second one), so a refused sender costs a header check, not a
multipart upload stored and removed again. It runs before authentication: a refusal
needs no database.
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
    """503 ``hub.overloaded`` with ``Retry-After`` for a submission the hub would refuse;
    an admitted one holds its slot until its answer is ready."""
    admission = request.app.get(ADMISSION)
    if admission is None or (request.method, request.path) not in SUBMISSIONS:
        return await handler(request)
    async with admission.slot():
        return await handler(request)
