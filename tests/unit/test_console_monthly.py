"""The monthly report's month: YYYY-MM only, bounds across the year's end."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.console.monthly import month_bounds
from gateway.errors import RequestError


def test_month_bounds_cover_the_month() -> None:
    """A month runs from its first day to the first day of the next, December too."""
    assert month_bounds("2026-11") == (date(2026, 11, 1), date(2026, 12, 1))
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "11/2026", "2026-1", "", "1999-01", "2026-11x"]
)
def test_a_bad_month_is_a_typed_error(text: str) -> None:
    """Anything but YYYY-MM (month 01-12) is request.bad_parameter."""
    with pytest.raises(RequestError) as caught:
        month_bounds(text)
    assert caught.value.code == "request.bad_parameter"


def test_the_pdf_carries_vietnamese_text() -> None:
    """The PDF embeds a Unicode font: Vietnamese names come back out of it as written."""
    import io

    import pypdf

    from gateway.console.monthly import Tables
    from gateway.console.monthly_pdf import to_pdf

    name = "Hội Nông dân xã Mỹ Hòa Hưng (000.01.01.H01)"
    content = Tables(
        "BÁO CÁO THÁNG 2026-11",
        [("Tổng hợp", [["Phạm vi", name]]), ("Theo đơn vị", [["Mã", "Tên"], ["x", "Ấp Đông"]])],
    )
    body = to_pdf(content)
    text = pypdf.PdfReader(io.BytesIO(body)).pages[0].extract_text()
    assert body.startswith(b"%PDF") and "BÁO CÁO THÁNG 2026-11" in text
    assert name in text and "Ấp Đông" in text
