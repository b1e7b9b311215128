"""Operator reports shared by the API and the console: per-unit summary, overdue, and
the cell neutraliser of the spreadsheet exports (:mod:`gateway.exports`).

Each function gives plain JSON-able values, so both front ends show the same thing.
"""

from __future__ import annotations

from typing import Any

from gateway.store.records import OverdueDelivery, UnitSummary

__all__ = ["csv_safe", "overdue_json", "unit_summary_json"]


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
