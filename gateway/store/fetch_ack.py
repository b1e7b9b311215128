"""Fetch and ack marks on mailbox items: a fetched document's delivery becomes
``delivered``; an acked item leaves its unit's pending list (each mark audited)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.errors import NotFoundError
from gateway.store import audit, dialects, transport
from gateway.store.db import execute
from gateway.store.deliveries import DELIVERY_TABLE, advance_many, advance_to, audit_moved
from gateway.store.models import MailboxItemRow, table, utcnow
from gateway.store.prepared import Prepared

_ITEMS = table(MailboxItemRow)


def _unset_on_documents(column: str) -> Prepared:
    """Set ``column`` to ``:now`` on the document item of ``(:unit, :mid)`` if it is not
    set yet; returns the item if it changed.

    A document item's ``ref`` is its message id: naming it makes the lookup one probe of the
    unique ``(unit, kind, ref)`` index, where SQLite otherwise scans every document of the
    unit through that index's first two columns (slower the more documents it holds)."""
    return Prepared(
        update(_ITEMS)
        .where(
            _ITEMS.c.unit == bindparam("unit"),
            _ITEMS.c.kind == "document",
            _ITEMS.c.ref == bindparam("mid"),
            _ITEMS.c.message_id == bindparam("mid"),
            _ITEMS.c[column].is_(None),
        )
        .values({column: bindparam("now")})
        .returning(_ITEMS.c.item_id, _ITEMS.c.unit, _ITEMS.c.message_id)
    )


_FETCHED = _unset_on_documents("fetched_at")
#: PostgreSQL: :func:`mark_fetched` of one ``(unit, mid)`` in one statement: the item's
#: fetch mark (a CTE) and the delivery's move to ``delivered`` with the clerk who fetched
#: it, ``:by`` (returns it if it moved).
_FETCH_AND_DELIVER = Prepared(
    advance_to(transport.DELIVERED)
    .values(delivered_by=bindparam("by"))
    .add_cte(_FETCHED.statement.cte("fetched"))
)
#: The clerk ``:by`` who fetched ``(:mid, :unit)``'s document first, on its delivery just
#: moved to ``delivered`` (the other dialects' second statement of :func:`mark_fetched`).
_DELIVERED_BY = Prepared(
    update(DELIVERY_TABLE)
    .where(
        DELIVERY_TABLE.c.message_id == bindparam("mid"),
        DELIVERY_TABLE.c.recipient == bindparam("unit"),
        DELIVERY_TABLE.c.state == transport.DELIVERED,
        DELIVERY_TABLE.c.delivered_by.is_(None),
    )
    .values(delivered_by=bindparam("by"))
)
_ACKED_DOCUMENT = _unset_on_documents("acked_at")
_ACKED_ITEM = Prepared(
    update(_ITEMS)
    .where(
        _ITEMS.c.unit == bindparam("unit"),
        _ITEMS.c.item_id == bindparam("item"),
        _ITEMS.c.acked_at.is_(None),
    )
    .values(acked_at=bindparam("now"))
    .returning(_ITEMS.c.unit, _ITEMS.c.item_id, _ITEMS.c.kind, _ITEMS.c.ref, _ITEMS.c.message_id)
)
_ITEM_OWNER = Prepared(
    select(_ITEMS.c.item_id, _ITEMS.c.unit).where(_ITEMS.c.item_id == bindparam("item"))
)


async def _document_items(
    session: AsyncSession, statement: Prepared, pairs: Sequence[tuple[str, str]]
) -> list[Any]:
    """Run ``_FETCHED`` or ``_ACKED_DOCUMENT`` for ``(unit, message id)`` pairs: the items
    changed."""
    now = utcnow()
    wanted = [{"unit": unit, "mid": mid, "now": now} for unit, mid in dict.fromkeys(pairs)]
    return (await execute(session, statement, wanted)).all() if wanted else []


#: One fetch's marks: the unit, the message ids of its documents fetched, and the clerk
#: whose mailbox session fetched them (``person:<unit>/<username>``, None for a token).
Fetched = tuple[str, Sequence[str], str | None]


async def mark_fetched(session: AsyncSession, items: Sequence[Fetched]) -> list[None]:
    """Fetch marks for ``(unit, message ids, clerk)`` items at once: the document items are
    marked fetched and their deliveries become ``delivered`` (each by its recipient; a
    delivery that moves records the clerk who fetched it, ``delivered_by``)."""
    who: dict[tuple[str, str], str | None] = {}
    for unit, mids, person in items:
        for mid in mids:
            who.setdefault((unit, mid), person)
    if who and dialects.of(session).combined_writes:
        now = utcnow()
        wanted = [
            {"unit": unit, "mid": mid, "now": now, "at": now, "by": by}
            for (unit, mid), by in who.items()
        ]
        moved = await execute(session, _FETCH_AND_DELIVER, wanted)
        await audit_moved(session, moved, transport.DELIVERED, None)
    elif who:
        first = await _document_items(session, _FETCHED, list(who))
        await advance_many(session, [(m, u) for u, m in who], transport.DELIVERED, None)
        clerks = [
            {"mid": r.message_id, "unit": r.unit, "by": who[(r.unit, r.message_id)]}
            for r in first
            if who.get((r.unit, r.message_id))
        ]
        if clerks:
            await execute(session, _DELIVERED_BY, clerks)
    return [None] * len(items)


async def ack_documents(session: AsyncSession, pairs: list[tuple[str, str]]) -> int:
    """Take the document items of ``(unit, message id)`` pairs off their pending lists in
    one update (audited); how many were pending."""
    acked = 0
    for row in await _document_items(session, _ACKED_DOCUMENT, pairs):
        detail = {"item_id": row.item_id, "kind": "document", "ref": row.message_id}
        await audit.append(session, row.unit, "mailbox.acked", row.message_id, row.unit, detail)
        acked += 1
    return acked


async def ack_items(session: AsyncSession, items: Sequence[tuple[str, int]]) -> list[None]:
    """Take ``(unit, item id)`` mailbox items off their pending lists (idempotent, audited),
    one update for all; ``mailbox.item_not_found`` if one is not that unit's item (in a
    group, every write then runs alone)."""
    pairs = list(dict.fromkeys(items))
    now = utcnow()
    wanted = [{"unit": unit, "item": item_id, "now": now} for unit, item_id in pairs]
    done = {(r.unit, r.item_id): r for r in await execute(session, _ACKED_ITEM, wanted)}
    others = [{"item": item_id} for unit, item_id in pairs if (unit, item_id) not in done]
    if others:
        found = {(r.unit, r.item_id) for r in await execute(session, _ITEM_OWNER, others)}
        for unit, item_id in pairs:
            if (unit, item_id) not in done and (unit, item_id) not in found:
                raise NotFoundError(f"no mailbox item {item_id}", code="mailbox.item_not_found")
    for (unit, item_id), row in done.items():
        detail = {"item_id": item_id, "kind": row.kind, "ref": row.ref}
        await audit.append(session, unit, "mailbox.acked", row.message_id, unit, detail)
    return [None] * len(items)


async def ack_item_lists(
    session: AsyncSession, lists: Sequence[Sequence[tuple[str, int]]]
) -> list[None]:
    """:func:`ack_items` for the item lists of several writes at once (a group commit's
    batch: one update for every ack of the turn); one result per list."""
    await ack_items(session, [pair for pairs in lists for pair in pairs])
    return [None] * len(lists)


async def ack_document(session: AsyncSession, unit: str, message_id: str) -> bool:
    """Take ``unit``'s document item for ``message_id`` off its pending list (audited);
    ``True`` if it was pending."""
    return await ack_documents(session, [(unit, message_id)]) > 0
