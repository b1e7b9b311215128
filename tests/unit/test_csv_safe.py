"""``csv_safe``: one helper neutralises every cell a spreadsheet would read as a formula."""

from __future__ import annotations

import pytest

from gateway.exports import csv_safe

DANGEROUS = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\t",
    "\rplain",
    " =1+1",
    "  \t @x",
    "\u00a0=1",
    "\uff1dHYPERLINK()",
    "\uff0b1",
    "\uff0d1",
    "\uff20x",
]
HARMLESS = ["", "Công văn số 12/HND-VP", "a=b", "1-2", "x@y.vn", " plain"]


@pytest.mark.parametrize("text", DANGEROUS, ids=repr)
def test_formula_starts_are_prefixed_with_a_quote(text: str) -> None:
    """A formula sign first, after leading blanks, or a TAB/CR/LF first: quoted, kept whole."""
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS, ids=repr)
def test_ordinary_text_is_unchanged(text: str) -> None:
    """Text that no spreadsheet evaluates is left as it is."""
    assert csv_safe(text) == text
