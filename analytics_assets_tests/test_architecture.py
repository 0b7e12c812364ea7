"""The layout's rules, checked on the source: no import circle, no environment reads outside
the settings module, no private Dagster imports, no asset module importing another area's
asset module. Why a test: these are the properties issue 13 asked for, and they decay silently.
"""

from __future__ import annotations

import ast
import gc
from pathlib import Path

import analytics_assets

PACKAGE_ROOT = Path(analytics_assets.__file__).parent
PACKAGE = "analytics_assets"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    # With the garbage collector off: on CPython 3.11.7 a collection that runs Python
    # finalizers (an earlier test's SQLAlchemy connections) inside `ast.parse` fails it with
    # "SystemError: AST constructor recursion depth mismatch" (seen in the full suite).
    gc.collect()
    gc.disable()
    try:
        return {
            _module_name(p): ast.parse(p.read_text(encoding="utf-8"), filename=str(p))
            for p in sorted(PACKAGE_ROOT.rglob("*.py"))
        }
    finally:
        gc.enable()


def _imports(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """Package modules `name` imports anywhere (top level, functions, TYPE_CHECKING blocks)."""
    found: set[str] = set()
    is_package = any(m.startswith(name + ".") for m in known)
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for target in targets:
            if target in known and target != name:
                found.add(target)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle() -> None:
    modules = _modules()
    known = set(modules)
    # A package's __init__ re-exporting its children is not a circle of logic; the edges
    # from a child to its own parent package are what would make one, so they are kept.
    graph = {
        name: {
            t
            for t in _imports(name, tree, known)
            if not (t.startswith(name + ".") and name != PACKAGE)
        }
        for name, tree in modules.items()
    }
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_environment_read_only_in_settings() -> None:
    offenders = []
    for name, tree in _modules().items():
        if name == f"{PACKAGE}.settings":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
                if isinstance(node.value, ast.Name) and node.value.id == "os":
                    offenders.append(f"{name}:{node.lineno}")
    # Spawning the embedded MongoDB server copies the environment for the child process; it
    # reads no key. Anything else is a setting that belongs in settings.Settings.
    assert [o for o in offenders if not o.startswith(f"{PACKAGE}.storage.mongo.embedded:")] == []


def test_no_private_dagster_imports() -> None:
    private = [
        f"{name}:{node.lineno}"
        for name, tree in _modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom | ast.Import)
        and any(
            part.startswith("_")
            for n in (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
            )
            if n.startswith("dagster")
            for part in n.split(".")[1:]
        )
    ]
    assert private == []


def test_asset_modules_do_not_import_each_other() -> None:
    modules = _modules()
    known = set(modules)
    asset_modules = {n for n in known if n.endswith(".assets")}
    crossing = {
        name: sorted(_imports(name, modules[name], known) & (asset_modules - {name}))
        for name in asset_modules
    }
    assert {k: v for k, v in crossing.items() if v} == {}
