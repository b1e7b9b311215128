"""Reading a units CSV (``code,name,parent``) and ordering it parents-first.

Pure functions, no database: :func:`parse_units_csv` checks every row,
:func:`order_parents_first` sorts them so each parent is added before its children
(a parent may appear later in the file, or already exist in the directory).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.envelope.model import check_unit_code
from gateway.errors import DirectoryError, UnitExistsError, UnknownUnitError

__all__ = ["UnitSpec", "check_directory_code", "order_parents_first", "parse_units_csv"]

_HEADER = ("code", "name", "parent")


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """One unit to add: code, name and optional parent code."""

    code: str
    name: str
    parent: str | None = None


def check_directory_code(code: str) -> str:
    """``code`` if the directory may hold it: the unit code pattern, in dot-separated groups
    (``000.00.00.H01``); ``directory.bad_unit_code`` otherwise."""
    check_unit_code(code)
    if "." not in code:
        raise DirectoryError(
            f"bad unit code {code!r}: expected dot-separated groups such as 000.00.00.H01",
            code="directory.bad_unit_code",
        )
    return code


def parse_units_csv(text: str) -> list[UnitSpec]:
    """Rows of ``code,name[,parent]``; a header line is optional; blank lines are skipped."""
    specs: list[UnitSpec] = []
    seen: set[str] = set()
    for lineno, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if lineno == 1 and tuple(c.lower() for c in cells[:3]) == _HEADER[: len(cells[:3])]:
            continue
        spec = _row(cells, lineno)
        if spec.code in seen:
            raise UnitExistsError(f"line {lineno}: unit {spec.code} appears twice")
        seen.add(spec.code)
        specs.append(spec)
    return specs


def _row(cells: list[str], lineno: int) -> UnitSpec:
    if len(cells) < 2 or len(cells) > 3 or not cells[1]:
        raise DirectoryError(
            f"line {lineno}: expected code,name[,parent]", code="directory.invalid"
        )
    try:
        code = check_directory_code(cells[0])
        parent = check_unit_code(cells[2]) if len(cells) == 3 and cells[2] else None
    except DirectoryError as exc:
        raise DirectoryError(f"line {lineno}: {exc.message}", code=exc.code) from exc
    return UnitSpec(code=code, name=cells[1], parent=parent)


def order_parents_first(specs: Iterable[UnitSpec], existing: set[str]) -> list[UnitSpec]:
    """Sort ``specs`` so every parent comes before its children.

    A parent must be in ``specs`` or in ``existing`` (``directory.unknown_unit``);
    parents that loop back on themselves are ``directory.cycle``.
    """
    by_code = {spec.code: spec for spec in specs}
    ordered: list[UnitSpec] = []
    done: set[str] = set()
    for spec in by_code.values():
        _visit(spec, by_code, existing, done, ordered, set())
    return ordered


def _visit(
    spec: UnitSpec,
    by_code: dict[str, UnitSpec],
    existing: set[str],
    done: set[str],
    ordered: list[UnitSpec],
    path: set[str],
) -> None:
    # Iterative climb to the first parent that is already placed, then place downwards.
    chain: list[UnitSpec] = []
    current: UnitSpec | None = spec
    while current is not None and current.code not in done:
        if current.code in path:
            raise DirectoryError(f"parents of {current.code} form a cycle", code="directory.cycle")
        path.add(current.code)
        chain.append(current)
        parent = current.parent
        if parent is None or parent in done:
            current = None
        elif parent in by_code:
            current = by_code[parent]
        elif parent in existing:
            current = None
        else:
            raise UnknownUnitError(f"unit {current.code}: unknown parent {parent}")
    for item in reversed(chain):
        done.add(item.code)
        ordered.append(item)
