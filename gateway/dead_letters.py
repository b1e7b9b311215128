"""Operators' work on the bus's dead letters: list them, retry or discard one, audited.

The console (``/console/dead-letters``), the API (``/api/v1/dead-letters``) and
``lienthong dead-letters`` all go through here, so each retry or discard is recorded in the
audit log with the operator's name, whichever way it was asked for.
"""

from __future__ import annotations

from typing import Any

from gateway.bus.base import Bus, DeadLetter
from gateway.errors import NotFoundError
from gateway.store import audit, outbox_body
from gateway.store.db import Database

__all__ = ["ACTIONS", "dead_letter_json", "message_of", "resolve_dead_letter"]

#: What an operator may do with a dead letter.
ACTIONS = ("retry", "discard")


def message_of(body: bytes) -> str:
    """The message id a dead letter's body names, or "" when it is no outbox body (a
    poison): read by :func:`gateway.store.outbox_body.decode`, the one reader of the format."""
    try:
        return outbox_body.decode(body, "").message_id
    except (ValueError, KeyError, TypeError):
        return ""


def dead_letter_json(dead: DeadLetter) -> dict[str, Any]:
    """One dead letter for the API: its bus id, the message and unit, and why."""
    return {
        "id": dead.message_id,
        "message_id": message_of(dead.body) or None,
        "unit": dead.routing_key,
        "topic": dead.topic,
        "reason": dead.reason,
        "error": dead.error or None,
        "attempts": dead.attempts,
    }


async def resolve_dead_letter(
    db: Database, bus: Bus, operator: str, dead_id: str, action: str
) -> bool:
    """Retry or discard one dead letter and audit it; ``False`` if there was none."""
    if action == "retry":
        done = await bus.retry_dead_letter(dead_id)
    else:
        done = await bus.discard_dead_letter(dead_id)
    if done:
        async with db.session(write=True) as session:
            await audit.append(session, f"operator:{operator}", f"dead_letter.{action}", dead_id)
    return done


def not_found(dead_id: str) -> NotFoundError:
    """``dead_letter.not_found``: nothing with that id waits (already retried or discarded)."""
    return NotFoundError(f"no dead letter {dead_id[:80]!r}", code="dead_letter.not_found")
