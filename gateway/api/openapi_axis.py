"""The axis API's part of the OpenAPI document (``/axis/…``, ``docs/axis-api.md``).

Routed only when an ``axis`` adapter entry registers an office system; authenticated by
the system's own credentials (an ``ax1.`` bearer token from ``/axis/oauth/token``, or an
HMAC-signed request), never by the hub's ``/api/v1`` tokens.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["AXIS_OPERATIONS", "AXIS_SECURITY_SCHEMES"]

_JSON = "application/json"
_XML = "application/xml"
_STR: Final = {"type": "string"}
_ERROR = {"$ref": "#/components/responses/Error"}
_SECURITY: Final[list[dict[str, list[str]]]] = [{"axisToken": []}, {"axisSignature": []}]
_AUTH_ERRORS = {"401": _ERROR, "413": _ERROR, "429": _ERROR, "503": _ERROR}
_CONFIRM: Final = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"enum": ["done", "fail"]}, "reason": _STR},
}
#: the headers of a signed request (docs/axis-api.md); a bearer token needs none of them
_SIGNED_HEADERS: Final = [
    {"name": name, "in": "header", "required": False, "schema": schema}
    for name, schema in (
        ("X-Axis-SystemId", _STR),
        ("X-Axis-Timestamp", {"type": "string", "pattern": "^[0-9]{1,12}$"}),
        ("X-Axis-Nonce", {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"}),
        ("X-Axis-Signature", {"type": "string", "pattern": "^[0-9a-f]{64}$"}),
    )
]
_MESSAGETYPE = {"type": "string", "enum": ["edoc", "status", "all"]}


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": _STR,
        "description": description,
    }


def _json(description: str, **props: Any) -> dict[str, Any]:
    schema = {"type": "object", "properties": {"status": _STR, **props}}
    return {"description": description, "content": {_JSON: {"schema": schema}}}


AXIS_SECURITY_SCHEMES: Final[dict[str, Any]] = {
    "axisToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "an `ax1.` token from POST /axis/oauth/token",
    },
    "axisSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Axis-Signature",
        "description": "HMAC-SHA256 with X-Axis-SystemId, X-Axis-Timestamp, X-Axis-Nonce",
    },
}

AXIS_OPERATIONS: Final[dict[str, dict[str, dict[str, Any]]]] = {
    "/axis/oauth/token": {
        "post": {
            "summary": "OAuth2 client credentials (form body, or the client in HTTP Basic)",
            "security": [],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["grant_type"],
                            "properties": {
                                "grant_type": {"enum": ["client_credentials"]},
                                "client_id": _STR,
                                "client_secret": _STR,
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    "a bearer token",
                    access_token=_STR,
                    token_type=_STR,
                    expires_in={"type": "integer"},
                ),
                "400": _ERROR,
                **_AUTH_ERRORS,
            },
        }
    },
    "/axis/v1/edocs": {
        "post": {
            "summary": "Send one edXML document or status message (sendEdoc)",
            "security": _SECURITY,
            "parameters": [
                *_SIGNED_HEADERS,
                {
                    "name": "X-Axis-MessageType",
                    "in": "header",
                    "required": False,
                    "schema": {"enum": ["edoc", "status"]},
                },
            ],
            "requestBody": {
                "required": True,
                "content": {_XML: {"schema": {"type": "string", "description": "edXML"}}},
            },
            "responses": {
                "201": _json("a status stored", docId=_STR, messagetype=_STR),
                "202": _json("a document accepted", docId=_STR, messagetype=_STR),
                **{code: _ERROR for code in ("400", "403", "409", "415", "422")},
                **_AUTH_ERRORS,
            },
        },
        "get": {
            "summary": "The caller's pending documents and statuses (getReceivedEdocList)",
            "security": _SECURITY,
            "parameters": [
                *_SIGNED_HEADERS,
                {"name": "messagetype", "in": "query", "required": False, "schema": _MESSAGETYPE},
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                },
                {
                    "name": "wait",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "number", "minimum": 0, "maximum": 30},
                    "description": "seconds to long-poll (single-unit systems)",
                },
            ],
            "responses": {
                "200": _json("pending items", items={"type": "array", "items": {"type": "object"}}),
                "400": _ERROR,
                **_AUTH_ERRORS,
            },
        },
    },
    "/axis/v1/edocs/{doc_id}": {
        "get": {
            "summary": "One pending item as edXML (getEdoc)",
            "security": _SECURITY,
            "parameters": [*_SIGNED_HEADERS, _path("doc_id", "the docId of a pending item")],
            "responses": {
                "200": {"description": "edXML", "content": {_XML: {"schema": _STR}}},
                "404": _ERROR,
                "422": _ERROR,
                **_AUTH_ERRORS,
            },
        }
    },
    "/axis/v1/edocs/{doc_id}/status": {
        "post": {
            "summary": "Confirm one pending item: done or fail (updateStatus)",
            "security": _SECURITY,
            "parameters": [*_SIGNED_HEADERS, _path("doc_id", "the docId of a pending item")],
            "requestBody": {"required": True, "content": {_JSON: {"schema": _CONFIRM}}},
            "responses": {
                "200": _json("confirmed", docId=_STR, pending={"type": "boolean"}),
                "400": _ERROR,
                "404": _ERROR,
                "409": _ERROR,
                **_AUTH_ERRORS,
            },
        }
    },
    "/axis/v1/sent/{message_id}": {
        "get": {
            "summary": "The statuses of a document the caller's unit sent or received",
            "security": _SECURITY,
            "parameters": [*_SIGNED_HEADERS, _path("message_id", "the hub's message id")],
            "responses": {
                "200": _json("the status", recipients={"type": "array"}),
                "404": _ERROR,
                **_AUTH_ERRORS,
            },
        }
    },
}
