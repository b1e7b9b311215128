"""The registers Decree 30/2020 asks of a clerk: sổ văn bản đến (incoming) and sổ văn bản
đi (outgoing), one per unit and year, numbered in order of arrival or sending, and their
XLSX export (text cells typed as text: a spreadsheet never evaluates them)."""

from __future__ import annotations

from typing import Any

from gateway.webmailbox.clock import local_date, local_time
from gateway.webmailbox.listing import Entry

__all__ = ["INCOMING", "OUTGOING", "register_rows"]

#: Column labels (vi, en) of each register, in order.
INCOMING = (
    ("Số đến", "No."), ("Ngày đến", "Received"), ("Nơi gửi", "Sender"),
    ("Số/Ký hiệu", "Number/notation"), ("Ngày văn bản", "Issued on"),
    ("Loại văn bản", "Type"), ("Trích yếu", "Subject"), ("Người ký", "Signer"),
    ("Độ khẩn", "Urgency"), ("Hạn xử lý", "Due date"), ("Tình trạng", "State"),
)  # fmt: skip
OUTGOING = (
    ("Số thứ tự", "No."), ("Ngày gửi", "Sent"), ("Số/Ký hiệu", "Number/notation"),
    ("Ngày văn bản", "Issued on"), ("Loại văn bản", "Type"), ("Trích yếu", "Subject"),
    ("Người ký", "Signer"), ("Độ khẩn", "Urgency"), ("Nơi nhận", "Recipients"),
    ("Hạn xử lý", "Due date"),
)  # fmt: skip


def register_rows(
    kind: str, entries: list[Entry], names: dict[str, str], state_name: Any
) -> list[list[str]]:
    """The register's rows, oldest first, numbered from 1 (``entries``: newest first)."""
    rows = []
    for n, e in enumerate(reversed(entries), start=1):
        meta = e.meta
        issued = local_date(meta.issued_on) if meta else ""
        doc_type, signer = (meta.doc_type or "", meta.signer_name or "") if meta else ("", "")
        common = [e.number_notation, issued, doc_type, e.subject, signer, e.urgency]
        if kind == "in":
            rows.append(
                [str(n), local_time(e.created_at), names.get(e.sender, e.sender), *common,
                 local_date(e.due_date), state_name(e.state)]
            )  # fmt: skip
        else:
            to = "; ".join(names.get(c, c) for c in e.states)
            rows.append([str(n), local_time(e.created_at), *common, to, local_date(e.due_date)])
    return rows
