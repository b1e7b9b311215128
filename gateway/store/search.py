"""The operators' search: messages matching every given filter, newest first, keyset-paginated
(a unit by code or by any part of its folded name, the subject's folded text)."""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gateway.envelope.model import UNIT_CODE_RE
from gateway.errors import GatewayError, RequestError
from gateway.store import dialects
from gateway.store.changes import document_state, load_changes, shown_state
from gateway.store.dialects import Dialect
from gateway.store.lineage import related_codes
from gateway.store.models import DeliveryRow, MessageRow, UnitRow
from gateway.store.queries import MAX_PAGE
from gateway.store.records import MessageSummary, SearchFilters, SearchPage
from gateway.text import fold
from gateway.untrusted import clamp_datetime, parse_json

#: At most this many units a unit filter's name matches (by code).
_MAX_UNIT_MATCHES = 1000


def encode_cursor(created_at: datetime, message_id: str) -> str:
    """An opaque cursor for keyset pagination."""
    raw = json.dumps([created_at.isoformat(), message_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor stands for; ``request.invalid`` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, message_id = parse_json(raw, "the cursor")
        return clamp_datetime(datetime.fromisoformat(at)), str(message_id)
    except (ValueError, TypeError, binascii.Error, GatewayError) as exc:
        raise RequestError("bad cursor", code="request.invalid") from exc


async def search(
    session: AsyncSession, filters: SearchFilters, cursor: str | None, limit: int
) -> SearchPage:
    """Messages matching every given filter, newest first, keyset-paginated.

    ``unit`` is a unit code or any part of a unit's name (folded like the subject: no
    case, no diacritics); when it names no unit of the directory the page has a hint."""
    limit = max(1, min(limit, MAX_PAGE))
    units: tuple[tuple[str, str], ...] = ()
    if filters.unit:
        units = await _matching_units(session, filters.unit)
    query = select(
        MessageRow.id,
        MessageRow.sender,
        MessageRow.subject,
        MessageRow.kind,
        MessageRow.created_at,
        MessageRow.due_date,
        MessageRow.urgency,
    )
    codes = [code for code, _ in units]
    if filters.unit and not UNIT_CODE_RE.fullmatch(filters.unit.strip().upper()) and not codes:
        return SearchPage((), None, units, _no_unit_hint(filters.unit))
    for condition in _conditions(filters, codes, dialects.of(session)):
        query = query.where(condition)
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(
            or_(
                MessageRow.created_at < at,
                and_(MessageRow.created_at == at, MessageRow.id < last_id),
            )
        )
    query = query.order_by(MessageRow.created_at.desc(), MessageRow.id.desc()).limit(limit + 1)
    rows = (await session.execute(query)).all()
    page, more = rows[:limit], len(rows) > limit
    counts = await _state_counts(session, [r.id for r in page])
    found = await load_changes(session, [r.id for r in page])
    items = tuple(
        MessageSummary(
            r.id,
            r.sender,
            r.subject,
            r.kind,
            r.created_at,
            r.due_date,
            counts.get(r.id, {}),
            document_state(found.of(r.id)),
            r.urgency,
        )
        for r in page
    )
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more and page else None
    hint = _no_unit_hint(filters.unit) if filters.unit and not any(n for _, n in units) else None
    return SearchPage(items, next_cursor, units, hint)


def _no_unit_hint(text: str) -> str:
    return (
        f"no unit of the directory has the code {text.strip()!r} or a name containing it; "
        "give a unit code (000.00.00.H01) or a part of its name, with or without diacritics"
    )


def _like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards escaped by a backslash."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(
    column: ColumnElement[str] | InstrumentedAttribute[str], key: str, dialect: Dialect
) -> ColumnElement[bool]:
    """``column`` holds ``key`` (see :meth:`Dialect.like`)."""
    return dialect.like(column, _like_pattern(key))


async def _matching_units(session: AsyncSession, text: str) -> tuple[tuple[str, str], ...]:
    """Units whose code is ``text`` (any case) or whose folded name contains it; when
    none is, a well-formed code is kept (a unit no longer in the directory), with no name."""
    code, key = text.strip().upper(), fold(text)
    conds = [_contains(UnitRow.name_key, key, dialects.of(session))] if key else []
    if UNIT_CODE_RE.fullmatch(code):
        conds.append(UnitRow.code == code)
    if not conds:
        return ()
    query = (
        select(UnitRow.code, UnitRow.name)
        .where(or_(*conds))
        .order_by(UnitRow.code)
        .limit(_MAX_UNIT_MATCHES)
    )
    found = tuple((r.code, r.name) for r in (await session.execute(query)).all())
    if not found and UNIT_CODE_RE.fullmatch(code):
        return ((code, ""),)
    if UNIT_CODE_RE.fullmatch(code):  # a retired, merged or re-coded unit: its lineage too
        found += tuple(u for u in await related_codes(session, code) if u not in found)
    return found


def _delivered(*extra: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(DeliveryRow.message_id == MessageRow.id, *extra)


def _delivered_to(units: list[str], dialect: Dialect) -> ColumnElement[bool]:
    """A delivery to one of ``units``. Several units on PostgreSQL: probed per message
    (``OFFSET 0`` keeps the planner from hashing every delivery of every unit first,
    which grows with their traffic, while the newest-first scan stops after a page)."""
    if not dialect.probe_per_message or len(units) == 1:
        return _delivered(DeliveryRow.recipient.in_(units))
    probe = select(DeliveryRow.id).where(
        DeliveryRow.message_id == MessageRow.id, DeliveryRow.recipient.in_(units)
    )
    return probe.offset(0).exists()


def _conditions(f: SearchFilters, units: list[str], dialect: Dialect) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if units:
        conds.append(or_(MessageRow.sender.in_(units), _delivered_to(units, dialect)))
    if f.within is not None:
        scope = sorted(f.within)
        conds.append(
            or_(MessageRow.sender.in_(scope), _delivered(DeliveryRow.recipient.in_(scope)))
        )
    if f.sender:
        conds.append(MessageRow.sender == f.sender)
    if f.state:
        conds.append(_delivered(DeliveryRow.state == f.state))
    if f.since:
        conds.append(MessageRow.created_at >= f.since)
    if f.until:
        conds.append(MessageRow.created_at < f.until)
    text = (f.text or "").strip()
    if key := fold(text):
        by_subject = _contains(MessageRow.subject_key, key, dialect)
        conds.append(or_(by_subject, MessageRow.id == text))
    return conds


async def _state_counts(session: AsyncSession, ids: list[str]) -> dict[str, dict[str, int]]:
    if not ids:
        return {}
    shown = (
        select(DeliveryRow.message_id, counted_state())
        .where(DeliveryRow.message_id.in_(ids))
        .subquery()
    )
    query = select(shown.c.message_id, shown.c.state, func.count()).group_by(
        shown.c.message_id, shown.c.state
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for message_id, state, n in (await session.execute(query)).all():
        counts[message_id][state] = n
    return counts


def counted_state() -> Any:
    """A delivery's state as counted: ``withdrawn`` when its document was revoked or
    replaced before it was fetched (not pending any more)."""
    return shown_state(DeliveryRow.message_id, DeliveryRow.state).label("state")
