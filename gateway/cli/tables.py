"""How the CLI prints what a hub answers: plain tables, one line per row (a subject or
reason with CR/LF cannot forge extra rows), the inbox's items and a message's timeline."""

from __future__ import annotations

from typing import Any

__all__ = ["clerk", "inbox_row", "notice_row", "pdf_lines", "table", "text", "timeline_rows"]


def table(headers: list[str], rows: list[list[str]]) -> str:
    """The rows under their headers, each column as wide as its widest cell."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def text(value: Any) -> str:
    """A cell: empty for None, CR and LF escaped so one value stays on one line."""
    return "" if value is None else str(value).replace("\r", "\\r").replace("\n", "\\n")


def notice_row(item: dict[str, Any]) -> list[str]:
    """A hub notice: its item, the document it is about, the unit that is late (the
    notice's ``sender``) and its text."""
    cells = (item.get("item_id"), item.get("message_id"), item.get("sender"), item.get("subject"))
    return [text(c) for c in cells]


def inbox_row(item: dict[str, Any]) -> list[str]:
    """An inbox item: id, kind, message, who sent or answered it, the status, the subject."""
    if item.get("kind") == "receipt":
        who = item.get("by")
        status = " ".join(text(item.get(k)) for k in ("status", "status_name")).strip()
    else:
        who, status = item.get("sender"), ""
    cells = (item.get("item_id"), item.get("kind"), item.get("message_id"), who, status)
    return [*map(text, cells), text(item.get("subject"))]


def clerk(entry: dict[str, Any]) -> str:
    """The clerk who acted (their name and account), empty for a unit's token or system."""
    person = entry.get("person")
    if not person:
        return ""
    name = entry.get("person_name")
    return text(f"{name} ({person})" if name else person)


def opener_lines(status: dict[str, Any]) -> list[str]:
    """One line per recipient whose clerk first opened the document in the web mailbox
    (``delivered_by``; a unit's token or office system leaves none)."""
    lines = []
    for recipient in status.get("recipients", []):
        person = recipient.get("delivered_by")
        if person:
            who = clerk({"person": person, "person_name": recipient.get("delivered_by_name")})
            lines.append(f"{text(recipient.get('unit'))} first opened by {who}")
    return lines


def pdf_lines(status: dict[str, Any]) -> list[str]:
    """One line per PDF: the hub's verdict on its signatures (docs/evidence.md)."""
    report = status.get("pdf_signatures") or {}
    lines = []
    for f in report.get("files", []) if isinstance(report, dict) else []:
        summary = (f.get("summary") or {}).get("en")
        lines.append(f"pdf {text(f.get('name'))}: {text(summary)} ({text(f.get('status'))})")
    return lines


def timeline_rows(status: dict[str, Any]) -> list[list[str]]:
    """A row per receipt of each recipient (one empty row for a recipient with none)."""
    rows: list[list[str]] = []
    for recipient in status.get("recipients", []):
        unit, state = text(recipient.get("unit")), text(recipient.get("state"))
        receipts = recipient.get("receipts") or [{}]
        for receipt in receipts:
            keys = ("status", "name", "at", "by")
            cells = [*(text(receipt.get(k)) for k in keys), clerk(receipt)]
            rows.append([unit, state, *cells, text(receipt.get("reason"))])
    return rows
