"""The rooms' rules, read from the imports (ast) of gateway/ and adapters/: what may import
what (docs/architecture.md). Known exceptions are listed so the list can only shrink."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from gateway.pipeline import HELPERS, STAGES

ROOT = Path(__file__).resolve().parents[2]

#: ``gateway.store`` modules that still import the pipeline: none (the transition rules
#: are passed in, ``gateway.store.rules.DeliveryRules``). Nothing may be added here.
STORE_INTO_PIPELINE: set[tuple[str, str]] = set()

#: Import cycles (strongly connected modules) that remain; none may be added.
KNOWN_CYCLES: set[frozenset[str]] = set()


def module_name(path: Path) -> str:
    """``gateway/store/db.py`` → ``gateway.store.db``; a package is its ``__init__``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(text: str, package: str) -> set[str]:
    """Every name the module ``text`` of ``package`` imports, at any depth (lazy and
    TYPE_CHECKING imports too): ``from a import b`` gives ``a`` and ``a.b`` (:func:`graph`
    keeps the one that is ours)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


@functools.cache
def graph() -> dict[str, set[str]]:
    """Our modules → the modules of ours they import (read once per run)."""
    files = [p for folder in ("gateway", "adapters") for p in (ROOT / folder).rglob("*.py")]
    ours = {module_name(p): p for p in files if "migrations" not in p.parts}
    edges: dict[str, set[str]] = {}
    for name, path in ours.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = imports_of(path.read_text(encoding="utf-8"), package) & set(ours)
        # ``from pkg import mod`` is an import of pkg.mod, not of the package's __init__
        parents = {dep.rpartition(".")[0] for dep in found}
        edges[name] = {dep for dep in found if dep not in parents} - {name}
    return edges


def edges_between(source: str, target: str) -> set[tuple[str, str]]:
    """The imports from the ``source`` room into the ``target`` room."""
    return {
        (mod, dep)
        for mod, deps in graph().items()
        if mod == source or mod.startswith(source + ".")
        for dep in deps
        if dep == target or dep.startswith(target + ".")
    }


def cycles(edges: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.add(frozenset(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_adapters_never_import_the_store() -> None:
    """Adapters go through the hub's facade: no module of adapters/ imports gateway.store,
    the hub or the bus (they are typed against ``gateway.facade.AdapterFacade``)."""
    for room in ("gateway.store", "gateway.hub", "gateway.bus"):
        assert edges_between("adapters", room) == set(), room


def test_the_facade_is_neutral() -> None:
    """``gateway.facade`` (the seam) imports nothing of the store, the hub, the bus or
    the pipeline, so a caller typed against it reaches none of them."""
    for room in ("gateway.store", "gateway.hub", "gateway.bus", "gateway.pipeline"):
        assert edges_between("gateway.facade", room) == set(), room


def test_store_imports_of_the_pipeline_only_shrink() -> None:
    """The store does not import the pipeline beyond the listed (shrinking) exceptions."""
    found = edges_between("gateway.store", "gateway.pipeline")
    assert found <= STORE_INTO_PIPELINE, (
        f"new store → pipeline imports: {found - STORE_INTO_PIPELINE}"
    )


def test_no_new_import_cycles() -> None:
    """The only import cycles are the listed ones (bus/ and cli/ have none)."""
    found = cycles(graph())
    assert found <= KNOWN_CYCLES, f"new import cycles: {[sorted(c) for c in found - KNOWN_CYCLES]}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from gateway.store import db", {"gateway.store", "gateway.store.db"}),
        ("import gateway.pipeline.states as s", {"gateway.pipeline.states"}),
        ("def f():\n    from ..store.db import x", {"gateway.store.db", "gateway.store.db.x"}),
    ],
)
def test_imports_are_read_at_any_depth(text: str, expected: set[str]) -> None:
    """The reader sees absolute, aliased and relative imports, also inside functions."""
    assert imports_of(text, "gateway.pipeline") == expected


def test_pipeline_lists_its_stages_in_order() -> None:
    """gateway.pipeline.STAGES names an existing module per stage, in the flow's order, and
    each stage module of the package says which stage it is, with that number."""
    assert [stage for stage, _ in STAGES] == [
        "intake", "verify", "accept", "relay", "mailbox", "deliver", "receipt", "status"
    ]  # fmt: skip
    for number, (stage, module) in enumerate(STAGES, start=1):
        path = ROOT / (module.replace(".", "/") + ".py")
        assert path.is_file(), module
        if module.startswith("gateway.pipeline."):
            docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            assert docstring.startswith(f"Stage {number}, {stage}:"), (module, docstring[:40])


def test_every_pipeline_module_is_a_stage_or_a_listed_helper() -> None:
    """gateway/pipeline/ holds the stages of STAGES and the modules HELPERS lists apart,
    nothing unlisted, and no module is both."""
    stages = {module for _, module in STAGES}
    helpers = set(HELPERS)
    found = {
        module_name(p) for p in (ROOT / "gateway" / "pipeline").glob("*.py") if p.stem != "__init__"
    }
    assert not stages & helpers
    assert found == (stages | helpers) & found, f"unlisted: {found - stages - helpers}"
    assert helpers <= found, f"listed but gone: {helpers - found}"


#: Rooms above the flow: the callers and the hub. The flow's rooms never import them.
CALLERS = (
    "gateway.hub", "gateway.hub_parts", "gateway.hub_access", "gateway.hub_operators",
    "gateway.hub_units", "gateway.hub_console", "gateway.hub_sessions", "gateway.api",
    "gateway.console", "gateway.webmailbox", "gateway.cli", "adapters",
)  # fmt: skip


def test_stages_import_only_earlier_stages_and_helpers() -> None:
    """A submission enters each stage once, in the flow's order: a stage module imports no
    later stage (the relay asks the mailbox stage through a protocol), only earlier ones
    and the listed helpers."""
    order = [module for _, module in STAGES]
    edges = graph()
    later = {
        (module, dep)
        for i, module in enumerate(order)
        for dep in edges.get(module, ())
        if dep in order[i + 1 :]
    }
    assert later == set(), f"a stage imports a later one: {later}"


def test_the_flow_never_calls_up_into_its_callers() -> None:
    """The pipeline, the bus and the store import none of the hub, the entry points or the
    adapters, and the store and the bus none of the pipeline: the path of a document goes
    down through the rooms and never back into the one that called."""
    for room in ("gateway.pipeline", "gateway.bus", "gateway.store"):
        for caller in CALLERS:
            assert edges_between(room, caller) == set(), (room, caller)
    for room in ("gateway.store", "gateway.bus"):
        assert edges_between(room, "gateway.pipeline") == set(), room


#: The pages: the operators' console and the units' web mailbox.
PAGES = ("gateway.console", "gateway.webmailbox")
#: The hub and its parts, which the pages reach only through the hub's checked methods.
PARTS = (
    "gateway.store", "gateway.bus", "gateway.pipeline", "gateway.directory",
    "gateway.dead_letters", "gateway.hub", "gateway.hub_parts", "gateway.hub_access",
    "gateway.hub_operators", "gateway.hub_units", "gateway.hub_console", "gateway.hub_sessions",
)  # fmt: skip
_PROOF = "under TYPE_CHECKING only: mypy's proof that Hub is what the pages take"
_PRINCIPAL = "Principal: the frozen value a session's token stands for, no part"
_DAYS = "check_days: the pure check of a not_seen_days parameter (directory.invalid)"
#: The pages' imports of the hub's rooms that are needed, and why; nothing may be added,
#: and an entry goes when its import does.
PAGES_MAY_IMPORT: dict[tuple[str, str], str] = {
    ("gateway.console.context", "gateway.hub"): _PROOF,
    ("gateway.webmailbox.context", "gateway.hub"): _PROOF,
    ("gateway.console.facade", "gateway.directory.principal"): _PRINCIPAL,
    ("gateway.console.views", "gateway.directory.principal"): _PRINCIPAL,
    ("gateway.webmailbox.pages", "gateway.directory.principal"): _PRINCIPAL,
    ("gateway.webmailbox.session", "gateway.directory.principal"): _PRINCIPAL,
    ("gateway.console.views", "gateway.directory.last_seen"): _DAYS,
    ("gateway.console.views_dashboard", "gateway.directory.last_seen"): _DAYS,
    ("gateway.webmailbox.listing", "gateway.store.unit_documents"): (
        "Entry extends ListedDocument, the frozen record Hub.own_documents returns"
    ),
}


def run_time_imports(path: Path, package: str) -> set[str]:
    """The names a module imports outside its ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tree.body = [
        node
        for node in tree.body
        if not (isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"))
    ]
    return imports_of(ast.unparse(tree), package)


def test_pages_reach_the_hub_only_through_its_methods() -> None:
    """The console and the web mailbox import none of the store, the bus, the pipeline,
    the directory or the hub beyond the listed needs (values and mypy's proof): they call
    the hub's checked methods (``ConsoleHub``, ``MailboxHub``), which mypy holds."""
    found = {edge for page in PAGES for part in PARTS for edge in edges_between(page, part)}
    assert found - set(PAGES_MAY_IMPORT) == set(), "new imports of the hub's parts"
    assert set(PAGES_MAY_IMPORT) - found == set(), "gone: remove them from PAGES_MAY_IMPORT"


def test_pages_apply_no_rule_themselves() -> None:
    """The console and the web mailbox import nothing of ``gateway.facade.authz``: who
    may see or do what is decided in the hub's methods, never in a page."""
    found = {edge for page in PAGES for edge in edges_between(page, "gateway.facade.authz")}
    assert found == set(), "the pages ask the hub, not authz"


def test_the_pages_import_the_hub_for_mypy_only() -> None:
    """The pages' imports of ``gateway.hub`` are under TYPE_CHECKING: never at run time."""
    for page, part in PAGES_MAY_IMPORT:
        if part == "gateway.hub":
            path = ROOT / (page.replace(".", "/") + ".py")
            package = page.rpartition(".")[0]
            assert "gateway.hub" in imports_of(path.read_text(encoding="utf-8"), package)
            assert "gateway.hub" not in run_time_imports(path, package), page
