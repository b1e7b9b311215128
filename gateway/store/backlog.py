"""How much accepted work is still on its way to the recipients (admission control's gauge).

A delivery is on its way from its acceptance until the recipient fetches the document:
not yet published (``submitted``), then on the bus or in the mailbox but not yet handed
out (``queued``); fetching makes it ``delivered``. The reading counts such deliveries
among those numbered above ``floor``: the caller passes the delivery id that was newest a
while ago, so a unit whose system has been away for a week does not keep its waiting
documents in the figure for ever, and the statement reads only the newest rows (the
primary-key range).

Both databases; every hub process sharing the database sees the same figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select

from gateway.store.db import Database
from gateway.store.models import DeliveryRow, table
from gateway.store.prepared import Prepared

__all__ = ["Backlog", "read_backlog"]

_DELIVERIES = table(DeliveryRow)

_ON_THE_WAY = (
    select(func.count())
    .select_from(_DELIVERIES)
    .where(
        _DELIVERIES.c.id > bindparam("floor"),
        or_(_DELIVERIES.c.state == bindparam("first"), _DELIVERIES.c.state == bindparam("then")),
    )
    .scalar_subquery()
)
_NEWEST = select(func.coalesce(func.max(_DELIVERIES.c.id), 0)).scalar_subquery()
_QUERY = Prepared(select(_ON_THE_WAY.label("waiting"), _NEWEST.label("newest")))


@dataclass(frozen=True, slots=True)
class Backlog:
    """One reading: deliveries on their way (above the floor), the newest delivery id."""

    waiting: int
    newest: int


async def read_backlog(db: Database, floor: int, states: tuple[str, str]) -> Backlog:
    """Deliveries numbered above ``floor`` in either of the two ``states`` (the caller's
    names for "accepted" and "queued": the store does not define them)."""
    params = {"first": states[0], "then": states[1], "floor": floor}
    row = (await db.query(_QUERY, params)).first()
    if row is None:
        return Backlog(0, floor)
    return Backlog(int(row.waiting), int(row.newest))
