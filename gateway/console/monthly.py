"""The monthly report a leader hands on: one scope, one month, as an XLSX workbook or a
PDF (:mod:`gateway.console.monthly_pdf`).

Three sheets, in Vietnamese (or English): the summary (documents sent and received, share
handled within the deadline, overdue), the figures by unit (sent, received, overdue,
median hours to 01 and 06, last seen), and the overdue documents. The figures are the
dashboard's (:mod:`gateway.console.dashboard`) for the documents sent in that month.
Text cells are stored as text, never as formulas.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from gateway.console.dashboard import Dashboard, build_period
from gateway.console.facade import ConsoleHub
from gateway.console.people import local_time
from gateway.errors import RequestError
from gateway.facade import PrincipalLike

__all__ = ["MonthlyReport", "Tables", "month_bounds", "monthly_report", "tables"]

_MONTH = re.compile(r"(\d{4})-(\d{2})")

_TEXT: dict[str, tuple[str, str]] = {
    "title": (
        "BÁO CÁO TÌNH HÌNH LIÊN THÔNG VĂN BẢN THÁNG {month}",
        "DOCUMENT EXCHANGE REPORT, {month}",
    ),
    "summary": ("Tổng hợp", "Summary"),
    "by_unit": ("Theo đơn vị", "By unit"),
    "overdue": ("Văn bản quá hạn", "Overdue documents"),
    "scope": ("Phạm vi", "Scope"),
    "made": ("Lập lúc", "Made at"),
    "sent": ("Văn bản gửi đi", "Documents sent"),
    "received": ("Văn bản nhận", "Documents received"),
    "on_time": ("Hoàn thành đúng hạn", "Completed in time"),
    "late": ("Trễ hạn (đã hoặc chưa hoàn thành)", "Late (completed or not)"),
    "share": ("Tỷ lệ đúng hạn (%)", "Share in time (%)"),
    "units_late": ("Đơn vị có văn bản quá hạn", "Units with overdue documents"),
    "code": ("Mã đơn vị", "Unit code"),
    "name": ("Tên đơn vị", "Unit name"),
    "n_overdue": ("Quá hạn chưa hoàn thành", "Overdue, not completed"),
    "to_01": ("Trung vị đến khi nhận (giờ)", "Median hours to received (01)"),
    "to_06": ("Trung vị đến khi hoàn thành (giờ)", "Median hours to completed (06)"),
    "subject": ("Trích yếu", "Subject"),
    "deadline": ("Hạn xử lý", "Deadline"),
    "units": ("Đơn vị chưa hoàn thành", "Units not completed"),
    "id": ("Mã văn bản", "Document id"),
    "everything": ("Toàn bộ", "Everything"),
}


@dataclass(frozen=True)
class MonthlyReport:
    """A built report: the file's bytes and a name for it."""

    body: bytes
    filename: str
    media_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def month_bounds(text: str) -> tuple[date, date]:
    """The first day of ``YYYY-MM`` and of the month after; ``request.bad_parameter``."""
    found = _MONTH.fullmatch(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise RequestError(
            f"month must be YYYY-MM (e.g. 2026-11), not {text[:20]!r}",
            code="request.bad_parameter",
        )
    year, month = int(found.group(1)), int(found.group(2))
    first = date(year, month, 1)
    return first, date(year + month // 12, month % 12 + 1, 1)


async def monthly_report(
    hub: ConsoleHub,
    p: PrincipalLike,
    root: str | None,
    month: str,
    lang: str = "vi",
    names: dict[str, str] | None = None,
    fmt: str = "xlsx",
) -> MonthlyReport:
    """The report of ``root``'s subtree (None: the caller's view) for ``month``, as
    ``xlsx`` or ``pdf``."""
    first, end = month_bounds(month)
    board = await build_period(hub, p, root, first, end, 30)
    if names is None:
        names = {u.code: u.name for u in await hub.units()}
    content = tables(board, month, lang, names)
    name = f"lienthong-{root or 'all'}-{month}"
    if fmt == "pdf":
        from gateway.console.monthly_pdf import to_pdf

        return MonthlyReport(to_pdf(content), f"{name}.pdf", "application/pdf")
    return MonthlyReport(_workbook(content), f"{name}.xlsx")


@dataclass(frozen=True)
class Tables:
    """The report's content, for either file format: titled sheets of rows."""

    title: str
    sheets: list[tuple[str, list[list[Any]]]]  # (name, rows; a header row first but in
    # the summary, whose rows are label/value pairs)


def tables(board: Dashboard, month: str, lang: str, names: dict[str, str]) -> Tables:
    """What the report says, in ``lang``."""
    t = _texts(lang)
    scope = f"{names.get(board.root, '')} ({board.root})" if board.root else t["everything"]
    share = board.on_time_share
    summary: list[list[Any]] = [
        [t["scope"], scope],
        [t["made"], local_time(datetime.now(UTC))],
        [t["sent"], sum(board.sent)],
        [t["received"], sum(board.received)],
        [t["on_time"], board.on_time],
        [t["late"], board.late],
        [t["share"], share if share is not None else "–"],
        [t["units_late"], len(board.overdue_by_unit)],
    ]
    header = [
        t["code"],
        t["name"],
        t["sent"],
        t["received"],
        t["n_overdue"],
        t["to_01"],
        t["to_06"],
    ]
    figures = sorted(board.per_unit.values(), key=lambda u: (-u.overdue, u.code))
    units = [header] + [
        [u.code, names.get(u.code, ""), u.sent, u.received, u.overdue, _hours(u.to_01),
         _hours(u.to_06)] for u in figures
    ]  # fmt: skip
    late = [[t["subject"], t["deadline"], t["units"], t["id"]]] + [
        [d["subject"], local_time(d["deadline"]),
         ", ".join(f"{names.get(u, '')} ({u})" for u in d["units"]), d["id"]]
        for d in board.overdue_documents
    ]  # fmt: skip
    sheets = [(t["summary"], summary), (t["by_unit"], units), (t["overdue"], late)]
    return Tables(t["title"].format(month=month), sheets)


def _workbook(content: Tables) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for number, (name, rows) in enumerate(content.sheets):
        sheet = book.create_sheet(name[:31])
        if number == 0:
            rows = [[content.title], *rows]
        _append(sheet, rows)
        sheet["A1"].font = Font(bold=True, size=13 if number == 0 else 11)
        for cell in sheet[1] if number else ():
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 40
        sheet.column_dimensions["B"].width = 45
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _append(sheet: Any, rows: list[list[Any]]) -> None:
    for row in rows:
        sheet.append(row)
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _texts(lang: str) -> dict[str, str]:
    index = 1 if lang == "en" else 0
    return {key: pair[index] for key, pair in _TEXT.items()}
