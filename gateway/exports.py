"""What operators take away, the same from the API and the console: the search as a
spreadsheet, CSV (UTF-8 with a byte-order mark) or XLSX, and the per-unit summary and
overdue deliveries as JSON (:func:`unit_summary_json`, :func:`overdue_json`).

The two spreadsheets are built from the same rows: one per message that the search finds
(every page), with one column per delivery state counting that message's deliveries in
it. The CSV starts with a BOM so that Excel reads it as UTF-8 (Vietnamese intact) and
neutralises formula-like text with :func:`csv_safe`; the XLSX writes text as typed string
cells, which a spreadsheet never evaluates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from gateway.envelope.model import Status
from gateway.errors import RequestError
from gateway.pipeline.states import TRANSPORT_STATES
from gateway.store.messages import MessageStore
from gateway.store.records import OverdueDelivery, SearchFilters, UnitSummary

__all__ = [
    "COLUMNS",
    "DELIVERY_STATES",
    "FORMATS",
    "Export",
    "csv_safe",
    "export_search",
    "overdue_json",
    "search_rows",
    "unit_summary_json",
]

#: ``format`` values of the search API besides ``json``.
FORMATS = ("csv", "xlsx")
_PAGE = 500
#: Every state a delivery can be in, in the order a document goes through them.
DELIVERY_STATES = (*TRANSPORT_STATES, *(s.label for s in Status))
_BASE_COLUMNS = ("id", "sender", "subject", "kind", "created_at", "due_date", "recipients")
COLUMNS = (*_BASE_COLUMNS, *DELIVERY_STATES)
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Export:
    """A file to send: its bytes, media type and download name."""

    body: bytes
    content_type: str
    filename: str


async def search_rows(store: MessageStore, filters: SearchFilters) -> list[list[Any]]:
    """Every hit of a search (all pages, newest first) as rows in :data:`COLUMNS` order;
    times are UTC ``datetime`` values, counts ``int``."""
    rows: list[list[Any]] = []
    cursor: str | None = None
    while True:
        page = await store.search(filters, cursor=cursor, limit=_PAGE)
        for m in page.items:
            base = [m.id, m.sender, m.subject, m.kind, m.created_at.astimezone(UTC), m.due_date]
            rows.append(
                [*base, sum(m.states.values()), *(m.states.get(s, 0) for s in DELIVERY_STATES)]
            )
        cursor = page.next_cursor
        if not cursor:
            return rows


async def export_search(store: MessageStore, filters: SearchFilters, fmt: str) -> Export:
    """The search as ``fmt`` (``csv`` or ``xlsx``); ``request.invalid`` for another."""
    if fmt not in FORMATS:
        raise RequestError(
            f"unknown format {fmt!r}; valid: json, {', '.join(FORMATS)}", code="request.invalid"
        )
    rows = await search_rows(store, filters)
    if fmt == "csv":
        return Export(to_csv(rows), "text/csv; charset=utf-8", "lienthong-messages.csv")
    return Export(to_xlsx(rows), _XLSX, "lienthong-messages.xlsx")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return csv_safe(value)
    return str(value)


def to_csv(rows: list[list[Any]]) -> bytes:
    """The rows under a header line, as UTF-8 with a BOM (CRLF line ends, as Excel writes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(
    rows: list[list[Any]], header: Sequence[str] = COLUMNS, title: str = "messages"
) -> bytes:
    """The rows under a header line, as one XLSX sheet (times in UTC, without a zone)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(header))
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def unit_summary_json(summary: UnitSummary) -> dict[str, Any]:
    """One unit's counters as JSON."""
    return {
        "unit": summary.unit,
        "name": summary.name,
        "sent": summary.sent,
        "received": summary.received,
        "pending_items": summary.pending_items,
        "states": dict(summary.states),
        "last_seen_at": summary.last_seen_at.isoformat() if summary.last_seen_at else None,
    }


def overdue_json(row: OverdueDelivery) -> dict[str, Any]:
    """One overdue delivery as JSON."""
    return {
        "message_id": row.message_id,
        "recipient": row.recipient,
        "sender": row.sender,
        "subject": row.subject,
        "due_date": row.due_date.isoformat(),
        "state": row.state,
    }


#: What makes a spreadsheet read a cell as a formula: these first, or after leading blanks.
_FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
#: A cell starting with one of these is neutralised whatever follows (OWASP: TAB and CR).
_CONTROL_STARTS = frozenset("\t\r\n")


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in user text (CSV injection).

    A cell is prefixed with ``'`` when it starts with ``=``, ``+``, ``-``, ``@`` (or their
    full-width forms), with TAB, CR or LF, or with any of the formula signs after leading
    whitespace: spreadsheets strip the blanks and still evaluate ``" \t=cmd"``.
    """
    if text[:1] in _CONTROL_STARTS or text.lstrip()[:1] in _FORMULA_STARTS:
        return "'" + text
    return text
