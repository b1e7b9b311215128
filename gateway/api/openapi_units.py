"""The directory-change part of the OpenAPI document (operators; ``docs/operators.md``)."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["UNITS_OPERATIONS"]

_JSON = "application/json"
_ERROR = {"$ref": "#/components/responses/Error"}
_ERRORS = {code: _ERROR for code in ("400", "401", "403", "409", "422", "429", "503")}
_STR: Final = {"type": "string"}
_TIME: Final = {
    "type": "string",
    "description": "ISO 8601 with a UTC offset, e.g. 2025-07-01T00:00+07:00 (default: now)",
}
_CODE_PARAM: Final = {"name": "code", "in": "path", "required": True, "schema": _STR}
_LINK: Final = {
    "type": "object",
    "properties": {"code": _STR, "kind": _STR, "at": _STR},
}
_UNIT: Final = {
    "type": "object",
    "properties": {
        "code": _STR,
        "name": _STR,
        "parent": {"type": ["string", "null"]},
        "valid_from": {"type": ["string", "null"]},
        "valid_until": {"type": ["string", "null"]},
        "state": {"enum": ["active", "retired"]},
        "predecessors": {"type": "array", "items": _LINK},
        "successors": {"type": "array", "items": _LINK},
    },
}

#: action → (summary, body properties, required)
_CHANGES: Final[dict[str, tuple[str, dict[str, Any], list[str]]]] = {
    "rename": ("Rename the unit, now or at `at`", {"name": _STR}, ["name"]),
    "move": ("Put the unit under another parent (null: none)", {"parent": _STR}, []),
    "retire": (
        "Retire the unit: from `at` documents to it go to the successor, its pending items "
        "are the successor's, its tokens stop",
        {"successor": _STR},
        ["successor"],
    ),
    "merge": (
        "Merge the unit into `into` (a survivor; or a new unit made with `name`, `parent`)",
        {"into": _STR, "name": _STR, "parent": _STR},
        ["into"],
    ),
    "recode": (
        "Give the unit a new code; the old one stays an alias that forwards",
        {"new_code": _STR},
        ["new_code"],
    ),
    "split": (
        "Split the unit into existing units (documents to it go to the first)",
        {"into": {"type": "array", "items": _STR, "minItems": 2}},
        ["into"],
    ),
}


def _change(summary: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": {**props, "at": _TIME}}
    return {
        "post": {
            "summary": summary + " (operators; audited)",
            "parameters": [_CODE_PARAM],
            "requestBody": {"required": True, "content": {_JSON: {"schema": schema}}},
            "responses": {
                "200": {
                    "description": "the unit made or changed, with its lineage",
                    "content": {_JSON: {"schema": _UNIT}},
                },
                **_ERRORS,
            },
        }
    }


UNITS_OPERATIONS: Final[dict[str, dict[str, dict[str, Any]]]] = {
    "/api/v1/units/{code}": {
        "get": {
            "summary": "One unit with its validity, predecessors and successors (operators)",
            "parameters": [_CODE_PARAM],
            "responses": {
                "200": {"description": "the unit", "content": {_JSON: {"schema": _UNIT}}},
                **_ERRORS,
            },
        }
    },
    **{f"/api/v1/units/{{code}}/{action}": _change(*spec) for action, spec in _CHANGES.items()},
}
