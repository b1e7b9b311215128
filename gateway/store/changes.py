"""Revoke, update, replace: what a document of kind 1, 2 or 3 does to the one it refers to.

The link is the changing message's ``refers_to`` (indexed); nothing is copied onto the
original, whose stored row never changes. From it:

- the original reads ``revoked``, ``replaced`` or ``updated`` (in that precedence) in
  every view, with the changing messages listed (``changed_by``), and the changing
  message names its original (``refers_to``): a link both ways;
- a recipient that has not fetched the original yet no longer gets it after a revoke or
  a replace (:func:`withdrawn`, a condition of the pending-items read), and gets both,
  linked, after an update;
- a revoked original takes no status any more but 15/16, the answer to the revocation
  (``receipt.document_revoked``);
- 15 (agreed) and 16 (refused) answer a take-back (13) and also a revoke, update or
  replace, on the changing message's delivery or on the original's, as the axis does.

A document of kind 1/2/3 must refer to a stored document of the same sender that is not
revoked and not a revocation itself (``request.bad_reference``, :func:`check_reference`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.errors import DocumentRevokedError, RequestError
from gateway.store.models import MessageRow

__all__ = [
    "CHANGING_KINDS",
    "UNFETCHED",
    "WITHDRAWN_STATES",
    "Change",
    "Changes",
    "changed_away",
    "check_reference",
    "check_status_allowed",
    "document_state",
    "load_changes",
    "one_of",
    "shown_state",
    "withdrawn",
    "withdrawn_delivery",
]

#: The kinds that change another document, and what they make of it.
CHANGING_KINDS = {"revoke": "revoked", "replace": "replaced", "update": "updated"}
#: Kinds after which a recipient that has not fetched the original no longer gets it.
_WITHDRAWING = ("revoke", "replace")
#: What a document is after a change that withdraws it from who has not fetched it.
WITHDRAWN_STATES = tuple(CHANGING_KINDS[k] for k in _WITHDRAWING)
#: Delivery states of a document not fetched yet (a withdrawn one stays in them).
UNFETCHED = ("submitted", "queued")
#: The statuses a revoked document still takes: the answer to the revocation.
_ANSWERS = ("15", "16")


@dataclass(frozen=True, slots=True)
class Change:
    """A document that changes another: its id, kind and when it was created."""

    id: str
    kind: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        """``{"id", "kind", "created_at"}``."""
        return {"id": self.id, "kind": self.kind, "created_at": self.created_at.isoformat()}


def document_state(changes: Collection[Change]) -> str:
    """``revoked``, ``replaced``, ``updated`` (first that applies) or ``current``."""
    kinds = {c.kind for c in changes}
    for kind in ("revoke", "replace", "update"):
        if kind in kinds:
            return CHANGING_KINDS[kind]
    return "current"


@dataclass(frozen=True, slots=True)
class Changes:
    """For a set of messages: each one's own kind and the documents that change it."""

    kinds: dict[str, str]
    by: dict[str, list[Change]]

    def of(self, message_id: str) -> list[Change]:
        """The documents that change ``message_id``, oldest first."""
        return self.by.get(message_id, [])

    def answers_change(self, message_id: str) -> bool:
        """True when 15/16 may answer a change on this message's deliveries: it changes
        another document, or another document changes it."""
        return self.kinds.get(message_id, "new") != "new" or bool(self.of(message_id))

    def revoked(self, message_id: str) -> bool:
        """True when a revocation of ``message_id`` is stored."""
        return any(c.kind == "revoke" for c in self.of(message_id))


async def load_changes(session: AsyncSession, message_ids: Sequence[str]) -> Changes:
    """The kinds of ``message_ids`` and the documents changing them, in one read."""
    wanted = list(dict.fromkeys(message_ids))
    if not wanted:
        return Changes({}, {})
    m = MessageRow
    rows = await session.execute(
        select(m.id, m.kind, m.refers_to, m.created_at)
        .where(or_(m.id.in_(wanted), and_(m.refers_to.in_(wanted), m.kind.in_(CHANGING_KINDS))))
        .order_by(m.created_at, m.id)
    )
    kinds: dict[str, str] = {}
    by: dict[str, list[Change]] = defaultdict(list)
    for row in rows:
        if row.id in wanted:
            kinds[row.id] = row.kind
        if row.refers_to in wanted and row.kind in CHANGING_KINDS:
            by[row.refers_to].append(Change(row.id, row.kind, row.created_at))
    return Changes(kinds, dict(by))


def check_status_allowed(changes: Changes, message_id: str, code: str) -> None:
    """``receipt.document_revoked`` for any status but 15/16 on a revoked document."""
    if code not in _ANSWERS and changes.revoked(message_id):
        raise DocumentRevokedError(
            "the document was revoked by its sender: it takes no further status "
            "(only 15 or 16, the answer to the revocation)",
            message_id=message_id,
        )


async def check_reference(
    session: AsyncSession, message_id: str, sender: str, kind: str, refers_to: str | None
) -> None:
    """``request.bad_reference`` unless a kind 1/2/3 document refers to a stored document
    of ``sender`` that is not revoked (by another message) and is not a revocation."""
    if kind not in CHANGING_KINDS:
        return
    if refers_to is None or refers_to == message_id:
        raise _bad(f"a {kind} must refer to another document", message_id)
    original = (
        await session.execute(
            select(MessageRow.sender, MessageRow.kind).where(MessageRow.id == refers_to)
        )
    ).first()
    if original is None or original.sender != sender:
        raise _bad(f"refers_to {refers_to} is not a document sent by {sender}", message_id)
    if original.kind == "revoke":
        raise _bad(f"refers_to {refers_to} is a revocation, which cannot be changed", message_id)
    changes = await load_changes(session, [refers_to])
    if any(c.kind == "revoke" and c.id != message_id for c in changes.of(refers_to)):
        raise _bad(f"refers_to {refers_to} is revoked already", message_id)


def _bad(text: str, message_id: str) -> RequestError:
    return RequestError(text, code="request.bad_reference", http_status=422, message_id=message_id)


def withdrawn(message_id: Any, kind: Any, fetched_at: Any) -> Any:
    """SQL: a mailbox document not fetched yet whose message was revoked or replaced (it
    is no longer handed out)."""
    return and_(kind == "document", fetched_at.is_(None), changed_away(message_id))


def withdrawn_delivery(message_id: Any, state: Any) -> Any:
    """SQL: a delivery whose document was revoked or replaced before the recipient
    fetched it: nothing is pending there any more (unit counters, console, metrics,
    search counts leave it out or count it as ``withdrawn``)."""
    return and_(one_of(state, UNFETCHED), changed_away(message_id))


def changed_away(message_id: Any) -> Any:
    """SQL: the message was revoked or replaced (by a stored document referring to it):
    nothing about it is overdue or pending any more, fetched or not."""
    change = MessageRow.__table__.alias("change")
    return exists().where(change.c.refers_to == message_id, one_of(change.c.kind, _WITHDRAWING))


def shown_state(message_id: Any, state: Any) -> Any:
    """SQL: the delivery's state, or ``withdrawn`` (:func:`withdrawn_delivery`)."""
    return case((withdrawn_delivery(message_id, state), literal("withdrawn")), else_=state)


def one_of(column: Any, values: Collection[str]) -> Any:
    """``column`` is one of ``values``, without an expanding parameter (statements that
    are prepared once, ``gateway.store.prepared``, cannot hold one)."""
    return or_(*(column == v for v in values))
