"""Errors are caught by type: no ``except ... as exc`` in gateway/ or adapters/ compares
``exc.code`` with a string (a code a caller acts on has its own subclass in errors.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The CLI client rebuilds errors from the hub's HTTP answers, so only their codes exist there.
ALLOWED = {"gateway/cli/client.py"}


def code_branches(text: str) -> list[int]:
    """Lines where a handler compares its caught error's ``.code`` (==, !=, in, not in)."""
    lines: list[int] = []
    for handler in ast.walk(ast.parse(text)):
        if not isinstance(handler, ast.ExceptHandler) or handler.name is None:
            continue
        for node in ast.walk(handler):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            if any(
                isinstance(side, ast.Attribute)
                and side.attr == "code"
                and isinstance(side.value, ast.Name)
                and side.value.id == handler.name
                for side in sides
            ):
                lines.append(node.lineno)
    return lines


def test_no_handler_branches_on_an_error_code() -> None:
    """No module outside the listed one branches on ``exc.code`` inside its handler."""
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("gateway", "adapters")
        for path in (ROOT / folder).rglob("*.py")
        if str(path.relative_to(ROOT)) not in ALLOWED
        for line in code_branches(path.read_text(encoding="utf-8"))
    }
    assert found == set(), f"catch these by type (a subclass in gateway/errors.py): {found}"


def test_the_reader_sees_a_branch_on_the_code() -> None:
    """A handler comparing its error's code is found; one catching a subclass is not."""
    branching = "try:\n    f()\nexcept E as exc:\n    if exc.code != 'x.y':\n        raise\n"
    typed = "try:\n    f()\nexcept UnroutableError:\n    g()\n"
    assert code_branches(branching) == [4]
    assert code_branches(typed) == []
