"""The dependency rules of docs/architecture.md, checked on the source: only `bot` imports
`telegram`; `dialogs` imports no SQL and no Telegram; nothing below `bot` imports `bot`; the review
dashboard reads storage and prompts, never the bot or the engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FORBIDDEN = {
    "dialogs": {"telegram", "sqlalchemy", "sqlmodel", "psycopg", "bot"},
    "prompts": {"telegram", "sqlalchemy", "sqlmodel", "psycopg", "bot", "dialogs", "storage"},
    "storage": {"telegram", "bot", "dialogs", "prompts"},
    "review": {"telegram", "bot", "dialogs"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {file: names for file, names in offenders.items() if names} == {}


# -- the engine and its features (docs/architecture.md, "Features") ---------------------------

DIALOGS = ROOT / "dialogs"
WIRING = {"dialogs", "dialogs.engine"}  # the package's front door, and the engine itself


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def dialogs_imports(path: Path, modules: set[str]) -> set[str]:
    """The dialogs modules `path` imports, under TYPE_CHECKING and inside functions too.
    `from dialogs import checkins` counts as importing `dialogs.checkins`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found & modules


def names_turn_run(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and any(a.name == "_TurnRun" for a in node.names):
            return True
        if isinstance(node, ast.Name | ast.Attribute) and "_TurnRun" in ast.unparse(node):
            return True
    return False


def dialogs_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in DIALOGS.rglob("*.py")}
    modules = set(paths)
    return {name: dialogs_imports(path, modules) - {name} for name, path in paths.items()}


def test_only_the_wiring_imports_the_engine() -> None:
    offenders = {
        name
        for name, imported in dialogs_graph().items()
        if "dialogs.engine" in imported and name not in WIRING
    }
    turn_run = {
        module_name(path)
        for path in DIALOGS.rglob("*.py")
        if module_name(path) not in WIRING and names_turn_run(path)
    }
    assert offenders | turn_run == set()


def test_dialogs_modules_import_no_cycle() -> None:
    graph = dialogs_graph()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            cycle = (*path[path.index(name) :], name)
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, (*path, name))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())
