"""A delivery's transport state (submitted → queued → delivered → the recipient's answers):
reading deliveries, moving them on and auditing each move, in the session it is given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.envelope.model import Status
from gateway.errors import NotFoundError
from gateway.store import audit, dialects, transport
from gateway.store.db import execute
from gateway.store.models import DeliveryRow, table, utcnow
from gateway.store.prepared import Prepared

DELIVERY_TABLE = table(DeliveryRow)
_DELIVERIES = select(
    DELIVERY_TABLE.c.id,
    DELIVERY_TABLE.c.message_id,
    DELIVERY_TABLE.c.recipient,
    DELIVERY_TABLE.c.state,
)
_ONE_DELIVERY = _DELIVERIES.where(
    DELIVERY_TABLE.c.message_id == bindparam("mid"),
    DELIVERY_TABLE.c.recipient == bindparam("unit"),
)
_DELIVERY = Prepared(_ONE_DELIVERY)
_DELIVERY_LOCKED = Prepared(_ONE_DELIVERY.with_for_update())
#: A Core statement on the table (an ORM one run with many rows would be a "bulk
#: update by primary key", which refuses extra WHERE criteria).
SET_STATE = Prepared(
    update(DELIVERY_TABLE)
    .where(DELIVERY_TABLE.c.id == bindparam("b_id"))
    .values(state=bindparam("b_state"), updated_at=bindparam("b_at"))
)
#: The delivery row as it was before an ``UPDATE`` (a self-join: the statement reads it
#: with its snapshot; every writer holds the write lock, see ``Database``).
_OLD = DELIVERY_TABLE.alias("old")


def _before(target: str, column: Any) -> Any:
    """``column`` holds a transport state before ``target``."""
    earlier = [s for s in transport.TRANSPORT_STATES if transport.advance_transport(s, target) != s]
    return or_(*(column == state for state in earlier))


def _moving(mid: Any, unit: Any) -> Any:
    """``UPDATE deliveries … FROM deliveries AS old`` for ``(mid, unit)``'s delivery,
    returning it with its old state (``old_state``)."""
    t = DELIVERY_TABLE
    return (
        update(t)
        .where(t.c.message_id == mid, t.c.recipient == unit, _OLD.c.id == t.c.id)
        .returning(t.c.id, t.c.message_id, t.c.recipient, _OLD.c.state.label("old_state"))
    )


def advance_to(target: str, mid: Any = None, unit: Any = None) -> Any:
    """PostgreSQL: move the delivery of ``(mid, unit)`` (by default the parameters ``:mid``
    and ``:unit``) to the transport state ``target`` if it is still before it, in one
    statement; returns the rows moved with their old state."""
    mid = bindparam("mid") if mid is None else mid
    unit = bindparam("unit") if unit is None else unit
    return (
        _moving(mid, unit)
        .where(_before(target, DELIVERY_TABLE.c.state))
        .values(state=target, updated_at=bindparam("at"))
    )


#: :func:`advance_many` on PostgreSQL, by target state.
_ADVANCE = {
    target: Prepared(advance_to(target)) for target in (transport.QUEUED, transport.DELIVERED)
}


def _touch_to(target: str) -> Prepared:
    """PostgreSQL: like :func:`advance_to`, but every delivery of ``(mid, unit)`` comes
    back (with its old state; a delivery already at or past ``target`` is left as it is):
    the read that says it exists and its move in one statement."""
    moves = _before(target, _OLD.c.state)
    at = bindparam("at", type_=DELIVERY_TABLE.c.updated_at.type)
    return Prepared(
        _moving(bindparam("mid"), bindparam("unit")).values(
            state=case((moves, target), else_=_OLD.c.state),
            updated_at=case((moves, at), else_=_OLD.c.updated_at),
        )
    )


TOUCH_QUEUED = _touch_to(transport.QUEUED)


class Delivery(NamedTuple):
    """One delivery's key and state (a row of ``_DELIVERY``)."""

    id: int
    message_id: str
    recipient: str
    state: str


def as_delivery(row: Any) -> Delivery:
    """A row of ``_DELIVERIES`` as a :class:`Delivery`."""
    return Delivery(row.id, row.message_id, row.recipient, row.state)


async def get_delivery(
    session: AsyncSession, message_id: str, recipient: str, *, lock: bool = True
) -> Delivery:
    query = _DELIVERY_LOCKED if lock else _DELIVERY
    params = {"mid": message_id, "unit": recipient}
    row = (await execute(session, query, params)).first()
    if row is None:
        raise NotFoundError(
            f"message is not addressed to {recipient}",
            code="message.not_found",
            message_id=message_id,
        )
    return as_delivery(row)


async def set_state(session: AsyncSession, delivery: Delivery, state: str) -> None:
    """Write a delivery's new state (and the time it changed)."""
    await execute(session, SET_STATE, {"b_id": delivery.id, "b_state": state, "b_at": utcnow()})


async def deliveries_of(
    session: AsyncSession, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Delivery]:
    """The deliveries of ``(message id, recipient)`` pairs in one round trip (locked on
    PostgreSQL), by pair; pairs without a delivery are absent."""
    wanted = [{"mid": mid, "unit": unit} for mid, unit in dict.fromkeys(pairs)]
    rows = await execute(session, _DELIVERY_LOCKED, wanted) if wanted else []
    return {(r.message_id, r.recipient): as_delivery(r) for r in rows}


async def move_deliveries(
    session: AsyncSession, moves: list[tuple[Delivery, str]], actor: str | None
) -> None:
    """Write and audit delivery state changes in one batch (``actor`` None: the recipient)."""
    if not moves:
        return
    now = utcnow()
    await execute(
        session, SET_STATE, [{"b_id": d.id, "b_state": new, "b_at": now} for d, new in moves]
    )
    for d, new in moves:
        detail = {"from": d.state, "to": new}
        who = actor or d.recipient
        await audit.append(session, who, f"delivery.{new}", d.message_id, d.recipient, detail)


async def advance_many(
    session: AsyncSession, pairs: list[tuple[str, str]], target: str, actor: str | None
) -> None:
    """:func:`advance` for several ``(message id, recipient)`` pairs: one read for all, one
    batch of updates for those that move (pairs without a delivery are skipped);
    ``actor`` None: each delivery's recipient."""
    if not pairs:
        return
    if target in _ADVANCE and dialects.of(session).combined_writes:
        await _advance_in_one(session, pairs, target, actor)
        return
    rows = (await deliveries_of(session, pairs)).values()
    moved = [(r, transport.advance_transport(r.state, target)) for r in rows]
    await move_deliveries(session, [(r, new) for r, new in moved if new != r.state], actor)


async def _advance_in_one(
    session: AsyncSession, pairs: list[tuple[str, str]], target: str, actor: str | None
) -> None:
    """:func:`advance_many` as one ``UPDATE … RETURNING`` per pair, all in one round trip."""
    now = utcnow()
    wanted = [{"mid": mid, "unit": unit, "at": now} for mid, unit in dict.fromkeys(pairs)]
    await audit_moved(session, await execute(session, _ADVANCE[target], wanted), target, actor)


async def audit_moved(session: AsyncSession, rows: Any, target: str, actor: str | None) -> None:
    """Audit the deliveries an advance statement moved (``actor`` None: each recipient)."""
    action = f"delivery.{target}"
    for row in rows:
        detail = {"from": row.old_state, "to": target}
        who = actor or row.recipient
        await audit.append(session, who, action, row.message_id, row.recipient, detail)


#: States only the recipient's own answer sets: a delivery that reaches one of them has
#: reached its recipient, whether or not the hub recorded the fetch first.
_ANSWERED = frozenset(
    s.label
    for s in (
        Status.RECEIVED,
        Status.REJECTED,
        Status.ACCEPTED,
        Status.ASSIGNED,
        Status.PROCESSING,
        Status.COMPLETED,
    )
)


async def audit_passed(session: AsyncSession, mid: str, recipient: str, old: str, new: str) -> None:
    """Audit the transport states a recipient's answer moved its delivery through.

    The fetch that makes a delivery ``delivered`` is recorded beside the response (see
    ``Hub.mailbox``), and another hub process may record the recipient's 01 first; the
    delivery then goes from ``queued`` to ``received`` in one step. The audit log still
    says it passed through ``queued`` and ``delivered`` (``implied_by: receipt``), each
    entry once: a later fetch mark finds the delivery past ``delivered`` and moves nothing.
    """
    if new not in _ANSWERED:
        return
    state = old
    for step, who in ((transport.QUEUED, "hub"), (transport.DELIVERED, recipient)):
        if transport.advance_transport(state, step) != state:
            detail = {"from": state, "to": step, "implied_by": "receipt"}
            await audit.append(session, who, f"delivery.{step}", mid, recipient, detail)
            state = step
