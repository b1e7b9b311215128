"""Fragments the parts of the OpenAPI document share (``gateway/api/openapi*.py``)."""

from __future__ import annotations

from typing import Any

from gateway.envelope.model import UNIT_CODE_MAX, UNIT_CODE_RE

__all__ = [
    "AUTH_ERRORS",
    "CLEAN",
    "DOCUMENT_STATE",
    "ID",
    "INT",
    "JSON",
    "REF_ERROR",
    "STR",
    "TEXT",
    "UNIT_CODE",
    "URGENCY",
    "obj",
    "ok",
    "query",
]

JSON = "application/json"
REF_ERROR = {"$ref": "#/components/responses/Error"}
AUTH_ERRORS = {"401": REF_ERROR, "403": REF_ERROR, "429": REF_ERROR, "503": REF_ERROR}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def ok(description: str, schema: dict[str, Any] | None = None, media: str = JSON) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {media: {"schema": schema}}
    return response


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


STR = {"type": "string"}
INT = {"type": "integer"}
#: What a revoke, update or replace made of a document (``gateway.store.changes``).
DOCUMENT_STATE = {"enum": ["current", "updated", "replaced", "revoked"]}
#: text a caller may send: no C0 control but TAB, LF, CR, no U+FFFE/U+FFFF (request.bad_text)
CLEAN = {
    "type": "string",
    "pattern": "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]*$",
}
TEXT = {**CLEAN, "maxLength": 2000}
UNIT_CODE = {"type": "string", "pattern": UNIT_CODE_RE.pattern, "maxLength": UNIT_CODE_MAX}
#: The edXML Priority code (``gateway.urgency``): 0 thường … 3 hỏa tốc, 4 hỏa tốc hẹn giờ.
URGENCY = {"enum": ["0", "1", "2", "3", "4"]}
