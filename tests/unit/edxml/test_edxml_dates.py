"""edXML dates: the variants producers send, read to one value."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gateway.edxml.dates import VIETNAM, format_date, format_timestamp, parse_date, parse_timestamp
from gateway.errors import EdxmlError


@pytest.mark.parametrize(
    "text", ["2020/10/30", "30/10/2020", "2020-10-30", "2020/10/30 08:15:00", "30/10/2020 08:15:00"]
)
def test_date_variants(text: str) -> None:
    """yyyy/MM/dd, dd/MM/yyyy and ISO, with or without a time, are the same date."""
    assert parse_date(text) == date(2020, 10, 30)


@pytest.mark.parametrize(
    "text", ["2018/09/28 17:25:11", "28/09/2018 17:25:11", "2018-09-28T17:25:11+07:00"]
)
def test_timestamp_variants(text: str) -> None:
    """Naive timestamps are Vietnam local time; ISO with an offset keeps it."""
    assert parse_timestamp(text) == datetime(2018, 9, 28, 17, 25, 11, tzinfo=VIETNAM)


def test_format_standard() -> None:
    """Writing uses the standard forms, in UTC+7."""
    moment = datetime.fromisoformat("2018-09-28T10:25:11+00:00")
    assert format_timestamp(moment) == "2018/09/28 17:25:11"
    assert format_date(date(2019, 4, 1)) == "2019/04/01"


def test_bad_date() -> None:
    """An unreadable date is edxml.bad_date."""
    with pytest.raises(EdxmlError) as info:
        parse_date("next tuesday")
    assert info.value.code == "edxml.bad_date"
