"""Imports point one way: no module reaches itself again, listings never imports deals,
and the pure modules import nothing that could pull in the app."""

import ast
from pathlib import Path

import pytest

MARKET = Path(__file__).resolve().parents[2] / "market"


def _module_name(path: Path) -> str:
    parts = path.relative_to(MARKET.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    """Every `from market… import …`, including those inside functions, as the module and
    as module.name (a submodule imported by name counts as a dependency on it)."""
    deps = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("market"):
                deps.add(node.module)
                deps.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            deps.update(a.name for a in node.names if a.name.startswith("market"))
    return deps


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): _imports(p) for p in MARKET.rglob("*.py")}
    return {m: {d for d in deps if d in modules and d != m} for m, deps in modules.items()}


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_graph_sees_imports_inside_functions():
    graph = _graph()
    assert "market.cli" in graph["market.app"]  # imported inside create_app()


def test_no_import_circles():
    graph = _graph()
    circular = sorted(m for m in graph if m in _reach(graph, m))
    assert circular == []


def test_listings_never_import_deals():
    graph = _graph()
    offenders = {
        m: sorted(d for d in deps if d.startswith("market.deals"))
        for m, deps in graph.items()
        if m.startswith("market.listings")
    }
    assert {m: d for m, d in offenders.items() if d} == {}


def test_only_the_cli_uses_the_demo_and_nothing_but_tests_imports_the_app():
    graph = _graph()
    demo_users = {m for m, deps in graph.items() if "market.demo.builder" in deps}
    app_users = {m for m, deps in graph.items() if "market.app" in deps}
    assert demo_users <= {"market.cli", "market.demo"}
    assert app_users == set()


@pytest.mark.parametrize("pure", ["market.geo", "market.clock", "market.lifecycle"])
def test_pure_modules_import_no_other_market_module(pure):
    assert _graph()[pure] == set()


# Pure cores may lean on other pure cores only (the working-day calendar, the lifecycle).
PURE_CORES = {
    "market.warnings.rules": {"market.manifests.workdays"},
    "market.warnings.states": {"market.lifecycle", "market.warnings.rules"},
}


@pytest.mark.parametrize("pure", sorted(PURE_CORES))
def test_pure_cores_reach_only_other_pure_modules(pure):
    graph = _graph()
    allowed = set(PURE_CORES[pure])
    for dep in list(allowed):
        allowed |= _reach(graph, dep)
    assert _reach(graph, pure) <= allowed | {"market.manifests", "market.warnings"}
