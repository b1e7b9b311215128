"""Parsing and ordering the units CSV (no database)."""

from __future__ import annotations

import pytest

from gateway.directory.csv_import import UnitSpec, order_parents_first, parse_units_csv
from gateway.directory.principal import Principal
from gateway.errors import DirectoryError


def test_header_is_optional_and_blank_lines_skipped() -> None:
    """A header row and blank lines are ignored; the parent column may be empty."""
    with_header = parse_units_csv(
        "code,name,parent\n000.00.00.H01,Tỉnh,\n\n000.00.01.H01,Huyện,000.00.00.H01\n"
    )
    without = parse_units_csv("000.00.00.H01,Tỉnh\n000.00.01.H01,Huyện,000.00.00.H01\n")
    assert (
        with_header
        == without
        == [
            UnitSpec("000.00.00.H01", "Tỉnh", None),
            UnitSpec("000.00.01.H01", "Huyện", "000.00.00.H01"),
        ]
    )


def test_parents_later_in_the_file_come_first() -> None:
    """Rows are ordered so every parent precedes its children, at any depth."""
    specs = parse_units_csv("0.C,commune,0.B\n0.B,district,0.A\n0.A,province,\n0.D,other,0.X\n")
    ordered = order_parents_first(specs, existing={"0.X"})
    codes = [s.code for s in ordered]
    assert codes.index("0.A") < codes.index("0.B") < codes.index("0.C")
    assert sorted(codes) == ["0.A", "0.B", "0.C", "0.D"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a.b,lower case,\n", "directory.bad_unit_code"),
        ("0.A,ok,\n0.A,again,\n", "directory.unit_exists"),
        ("0.A,,\n", "directory.invalid"),
        ("0.A,x,0.B,extra\n", "directory.invalid"),
        ("0.A,x,#\n", "directory.bad_unit_code"),
        ("XYZ,Bad code\n", "directory.bad_unit_code"),
    ],
)
def test_bad_rows_are_refused_with_a_code(text: str, code: str) -> None:
    """Bad codes (one without dot-separated groups too), duplicates, missing names and
    extra columns are typed errors."""
    with pytest.raises(DirectoryError) as info:
        parse_units_csv(text)
    assert info.value.code == code


def test_cycles_and_unknown_parents_are_refused() -> None:
    """Parents that loop are directory.cycle; a parent found nowhere is unknown_unit."""
    with pytest.raises(DirectoryError) as info:
        order_parents_first(parse_units_csv("0.A,a,0.B\n0.B,b,0.C\n0.C,c,0.A\n"), existing=set())
    assert info.value.code == "directory.cycle"
    with pytest.raises(DirectoryError) as info:
        order_parents_first(parse_units_csv("0.A,a,0.A\n"), existing=set())
    assert info.value.code == "directory.cycle"
    with pytest.raises(DirectoryError) as info:
        order_parents_first(parse_units_csv("0.A,a,0.Z\n"), existing=set())
    assert info.value.code == "directory.unknown_unit"


def test_a_bad_code_names_its_line_and_the_expected_shape() -> None:
    """`XYZ,Bad code` on line 3 is refused saying so, with an example of a good code."""
    with pytest.raises(DirectoryError, match=r"line 3: .*'XYZ'.*000\.00\.00\.H01"):
        parse_units_csv("code,name,parent\n000.00.00.H01,Tỉnh,\nXYZ,Bad code,\n")


def test_principal_is_a_frozen_value() -> None:
    """A principal compares by value and tells operators apart."""
    assert Principal(unit="A") == Principal(unit="A", operator=None)
    assert Principal(operator="ops").is_operator and not Principal(unit="A").is_operator
    with pytest.raises(AttributeError):
        Principal(unit="A").unit = "B"  # type: ignore[misc]
