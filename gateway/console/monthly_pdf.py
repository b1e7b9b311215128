"""The monthly report as a PDF (fpdf2), Vietnamese text in an embedded Unicode font.

fpdf2 ships no font with Vietnamese glyphs, so the report embeds DejaVu Sans (or the TTF
named by ``LIENTHONG_REPORT_FONT``) as found on the machine: Debian's and Ubuntu's
``fonts-dejavu-core``, Fedora's ``dejavu-sans-fonts``, Alpine's ``font-dejavu``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError

__all__ = ["font_path", "to_pdf"]

_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
)


def font_path() -> Path:
    """The TTF to embed; ``config.invalid`` when none is there."""
    wanted = os.environ.get("LIENTHONG_REPORT_FONT")
    for candidate in ([wanted] if wanted else []) + list(_FONTS):
        if Path(candidate).is_file():
            return Path(candidate)
    raise ConfigError(
        "no Unicode font for the PDF report: install fonts-dejavu-core or set "
        "LIENTHONG_REPORT_FONT to a TTF file",
        code="config.invalid",
    )


def to_pdf(content: Any) -> bytes:
    """``content`` (:class:`gateway.console.monthly.Tables`) as an A4 PDF."""
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    regular = font_path()
    bold = regular.with_name(regular.stem + "-Bold.ttf")
    pdf.add_font("report", "", str(regular))
    pdf.add_font("report", "B", str(bold if bold.is_file() else regular))
    pdf.add_page()
    pdf.set_font("report", size=14)
    pdf.multi_cell(0, 8, content.title, new_x="LMARGIN", new_y="NEXT")
    for number, (name, rows) in enumerate(content.sheets):
        pdf.set_font("report", size=12)
        pdf.ln(3)
        pdf.cell(0, 8, name, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("report", size=8 if number else 10)
        if len(rows) <= (0 if number == 0 else 1):
            pdf.cell(0, 6, "–", new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(first_row_as_headings=number != 0) as table:
            for row in rows:
                line = table.row()
                for value in row:
                    line.cell("" if value is None else str(value))
    return bytes(pdf.output())
