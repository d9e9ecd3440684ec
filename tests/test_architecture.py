"""The layout docs/architecture.md describes, kept true: writers below readers, no import
circles in the dashboard, ingest independent of the dashboard, and no derived-data rebuild
reachable from a page. Imports are read from the source (every `import`, also those inside
functions), not by importing the modules."""

import ast
from pathlib import Path

from tests.conftest import ROOT


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module this file imports, as absolute dotted names."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph(app: str) -> dict[str, set[str]]:
    """Module → the modules of the project it imports (names that are modules only)."""
    files = [
        p
        for p in (ROOT / app).rglob("*.py")
        if "migrations" not in p.parts and "tests" not in p.parts
    ]
    modules = {_module_name(p): p for p in files}
    return {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_imports(package: str, graph: dict[str, set[str]]) -> set[str]:
    """Modules outside `package` that modules of `package` import (whole project)."""
    return {
        imported
        for module, imports in graph.items()
        if module == package or module.startswith(package + ".")
        for imported in imports
        if not (imported == package or imported.startswith(package + "."))
    }


def test_the_dashboard_has_no_import_circle():
    assert _cycles(_graph("dashboard")) == []


def test_ingest_never_imports_the_dashboard():
    offending = {
        f"{module} imports {name}"
        for path in (ROOT / "ingest").rglob("*.py")
        for name in _imports(path)
        if name == "dashboard" or name.startswith("dashboard.")
        for module in [_module_name(path)]
    }
    assert offending == set()


def test_definitions_sit_below_builders_and_selectors():
    graph = _graph("dashboard")
    below = _package_imports("dashboard.definitions", graph)
    assert {m for m in below if m.startswith("dashboard.")} <= {"dashboard.models"}
    # Builders and selectors share the definitions and never import each other.
    builders = _package_imports("dashboard.derived", graph)
    assert not {m for m in builders if m.startswith(("dashboard.metrics", "dashboard.pages"))}
    selectors = _package_imports("dashboard.metrics", graph)
    assert not {m for m in selectors if m.startswith(("dashboard.derived", "dashboard.tasks"))}


def test_no_page_or_model_can_reach_a_rebuild():
    graph = _graph("dashboard")
    for start in ("dashboard.views", "dashboard.models", "dashboard.exports", "dashboard.admin"):
        reached = _reachable(graph, start)
        assert not {m for m in reached if m.startswith(("dashboard.derived", "dashboard.tasks"))}, (
            start
        )


def test_a_circle_would_be_found():
    # The checker itself: a two-module circle and a clean chain.
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_pages_start_syncs_only_through_ingest_tasks():
    """A page may queue a sync ("Sync now" on /ingest/), never run one: no page-layer module
    imports ingest's client or sync services, and only the views import ingest's tasks."""
    pages = ("dashboard.views", "dashboard.pages", "dashboard.forms", "dashboard.exports")
    pages += ("dashboard.metrics",)
    offending = set()
    for path in (ROOT / "dashboard").rglob("*.py"):
        module = _module_name(path)
        if not module.startswith(pages):
            continue
        for name in _imports(path):
            if name.startswith(("ingest.sync", "ingest.github")):
                offending.add(f"{module} imports {name}")
            if name.startswith("ingest.tasks") and module != "dashboard.views":
                offending.add(f"{module} imports {name}")
    assert offending == set()
