"""The OpenAPI 3.1 document of the HTTP API, served at ``/api/openapi.json``.

Written by hand (so it says what each route means), checked against the router by a test
(every route documented, nothing documented that is not routed). The paths come in
parts: a unit's messages and mailbox (:mod:`gateway.api.openapi_messages`), operators and
probes (:mod:`gateway.api.openapi_operators`), directory changes
(:mod:`gateway.api.openapi_units`) and the axis API, mounted when an axis system is
registered (:mod:`gateway.api.openapi_axis`); the components' schemas are in
:mod:`gateway.api.openapi_schemas`. The error codes come from
:data:`gateway.errors.ERROR_CODES`.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from gateway.api.jsonio import json_ok
from gateway.api.openapi_axis import AXIS_OPERATIONS, AXIS_SECURITY_SCHEMES
from gateway.api.openapi_messages import MESSAGE_OPERATIONS
from gateway.api.openapi_operators import OPERATOR_OPERATIONS
from gateway.api.openapi_parts import JSON, ok
from gateway.api.openapi_schemas import SCHEMAS
from gateway.api.openapi_units import UNITS_OPERATIONS
from gateway.errors import ERROR_CODES

__all__ = ["OPENAPI_PATH", "openapi_document", "routes"]

OPENAPI_PATH: Final = "/api/openapi.json"
routes = web.RouteTableDef()

_OWN: Final[dict[str, dict[str, dict[str, Any]]]] = {
    OPENAPI_PATH: {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": ok("OpenAPI 3.1", {"type": "object"})},
        }
    },
}


#: How every request is parsed (``gateway/untrusted.py``, ``docs/untrusted-input.md``).
_UNTRUSTED: Final = (
    "Requests are parsed strictly: header values are UTF-8 text without control characters, "
    "credentials ASCII (`request.bad_header`); JSON nests at most 32 levels, without NaN or "
    "Infinity (`request.bad_json`); text fields hold no control characters (TAB, LF, CR "
    "aside) or lone surrogates (`request.bad_text`); a multipart body needs its boundary, "
    "clean part headers and exactly one metadata part (`request.bad_multipart`, "
    "`request.invalid`); date-times are UTC, clamped to 0001-01-02 .. 9999-12-30; any other "
    "failure while a request is parsed is 400 `request.malformed`, never a 500."
)


#: Who sees what, for every route: the one rule of ``gateway/facade/authz.py``.
_WHO_SEES_WHAT = (
    "Who sees what: a unit token (or client certificate) sees its own mailbox and the "
    "messages it sent or received; an operator token sees every unit; an operator token "
    "created with a scope (`lienthong tokens create --operator NAME --scope CODE`) is a "
    "leader's: it sees only messages whose sender or a recipient lies in the subtree of "
    "CODE, on every route (status, envelope, attachments, search, CSV/XLSX exports, units "
    "summary, overdue, lineage) and in the console; dead letters, escalation sends and "
    "directory changes stay with whole-hub operators (403 `auth.forbidden`). "
)


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Lienthong hub",
            "version": "1",
            "description": "Signed document interchange between units. "
            + _WHO_SEES_WHAT
            + _UNTRUSTED
            + " Error codes: "
            + "; ".join(f"`{code}` {meaning}" for code, meaning in sorted(ERROR_CODES.items())),
        },
        "security": [{"bearer": []}, {"clientCertificate": []}],
        "paths": {
            **MESSAGE_OPERATIONS,
            **OPERATOR_OPERATIONS,
            **UNITS_OPERATIONS,
            **AXIS_OPERATIONS,
            **_OWN,
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "clientCertificate": {
                    "type": "mutualTLS",
                    "description": "a certificate issued by the hub CA",
                },
                **AXIS_SECURITY_SCHEMES,
            },
            "schemas": SCHEMAS,
            "responses": {
                "Error": {
                    "description": "a typed error with a stable code",
                    "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        },
    }


@routes.get(OPENAPI_PATH)
async def openapi(request: web.Request) -> web.Response:
    """Serve the OpenAPI document."""
    return json_ok(openapi_document())
