"""Tests share helpers through tests/support/, never by importing another test module
(a test module's helpers move when the test does; a conftest is imported by no one)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Test modules that still import helpers from another test module: none; nothing may be added.
KNOWN: set[tuple[str, str]] = set()


def imported_test_modules(text: str) -> set[str]:
    """The modules named ``test_*`` or ``conftest`` that ``text`` imports from ``tests``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            last = name.rpartition(".")[2]
            if name.startswith("tests.") and (last.startswith("test_") or last == "conftest"):
                found.add(name)
    return found


def test_tests_import_helpers_from_support_only() -> None:
    """No test module imports another test module or a conftest beyond the listed ones."""
    found = {
        (str(path.relative_to(ROOT)), module)
        for path in (ROOT / "tests").rglob("*.py")
        for module in imported_test_modules(path.read_text(encoding="utf-8"))
    }
    assert found <= KNOWN, f"move these helpers to tests/support/: {sorted(found - KNOWN)}"


def test_the_reader_sees_an_import_of_a_test_module() -> None:
    """An import from a test module or a conftest is found; one from tests.support is not."""
    text = (
        "from tests.integration.api.test_http_tls import x\n"
        "import tests.integration.conftest\n"
        "from tests.support.tls import tls_url\n"
    )
    assert imported_test_modules(text) == {
        "tests.integration.api.test_http_tls",
        "tests.integration.conftest",
    }
