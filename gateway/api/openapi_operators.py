"""The operators' part of the OpenAPI document (summaries, overdue deliveries, dead
letters, escalation sends) and the probes (health, readiness, metrics)."""

from __future__ import annotations

from typing import Any, Final

from gateway.api.openapi_parts import (
    AUTH_ERRORS,
    INT,
    REF_ERROR,
    STR,
    obj,
    ok,
    query,
)

__all__ = ["OPERATOR_OPERATIONS"]

_NULLABLE = {"type": ["string", "null"]}
_SEND = obj(
    id={"type": "string", "format": "uuid"},
    message_id=STR,
    recipient=STR,
    level={"enum": ["received", "completed", "parent_received", "parent_completed"]},
    channel={"enum": ["webhook", "mail"]},
    target=_NULLABLE,
    state={"enum": ["sending", "sent", "failed", "unknown"]},
    detail=_NULLABLE,
    claimed_at={"type": "string", "format": "date-time"},
    finished_at={"type": ["string", "null"], "format": "date-time"},
)

OPERATOR_OPERATIONS: Final[dict[str, dict[str, dict[str, Any]]]] = {
    "/api/v1/units/summary": {
        "get": {
            "summary": "Per-unit counters (operators): sent, received, pending, states, "
            "last_seen_at",
            "parameters": [
                query("unit", STR, "one unit only"),
                query(
                    "not_seen_days",
                    {"type": "integer", "minimum": 0, "maximum": 36500},
                    "only units never seen, or last seen this many days ago or longer",
                ),
            ],
            "responses": {
                "200": ok("summaries", obj(items={"type": "array", "items": {"type": "object"}})),
                "400": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/overdue": {
        "get": {
            "summary": "Deliveries past their due date without a final status (operators)",
            "responses": {
                "200": ok("overdue", obj(items={"type": "array", "items": {"type": "object"}})),
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/dead-letters": {
        "get": {
            "summary": "What the bus gave up on, with why (operators)",
            "responses": {
                "200": ok(
                    "dead letters",
                    obj(
                        items={
                            "type": "array",
                            "items": obj(
                                id=STR,
                                message_id={"type": ["string", "null"]},
                                unit=STR,
                                topic=STR,
                                reason={"enum": ["rejected", "delivery_limit", "expired"]},
                                error={"type": ["string", "null"]},
                                attempts=INT,
                            ),
                        }
                    ),
                ),
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/dead-letters/{id}/{action}": {
        "post": {
            "summary": "Retry a dead letter, or discard it for good (operators; audited)",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": STR},
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": {"enum": ["retry", "discard"]},
                },
            ],
            "responses": {
                "200": ok("done", obj(id=STR, action=STR, done={"type": "boolean"})),
                "404": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/escalations": {
        "get": {
            "summary": "The newest escalation sends, at most 500 (operators of the whole hub); "
            "`unknown`: interrupted while sending, waiting for an operator",
            "parameters": [
                query(
                    "state", {"enum": ["sending", "sent", "failed", "unknown"]}, "one state only"
                ),
            ],
            "responses": {
                "200": ok("sends", obj(items={"type": "array", "items": _SEND})),
                "400": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/escalations/{id}/resolve": {
        "post": {
            "summary": "Resolve an `unknown` send: it arrived (`sent`), or send it once more "
            "(`resend`) (operators of the whole hub; audited)",
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "the send's id: the mail's Message-ID <escalation.ID@…>, "
                    "the webhook's X-Lienthong-Event",
                    "schema": {"type": "string", "format": "uuid"},
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            **obj(action={"enum": ["sent", "resend"]}),
                            "required": ["action"],
                        }
                    }
                },
            },
            "responses": {
                "200": ok("the send afterwards", _SEND),
                "400": REF_ERROR,
                "404": REF_ERROR,
                "409": REF_ERROR,
                **AUTH_ERRORS,
            },
        },
    },
    "/healthz": {
        "get": {
            "summary": "Liveness",
            "security": [],
            "responses": {"200": ok("alive", obj(status=STR))},
        }
    },
    "/readyz": {
        "get": {
            "summary": "Readiness of database, bus, adapters and blob storage",
            "security": [],
            "responses": {
                "200": ok("ready", {"$ref": "#/components/schemas/Ready"}),
                "503": ok("not ready", {"$ref": "#/components/schemas/Ready"}),
            },
        },
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics",
            "security": [],
            "responses": {"200": ok("metrics", STR, "text/plain")},
        }
    },
}
