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
