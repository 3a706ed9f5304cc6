"""The mock's modules import one another one way: no circle, not even under TYPE_CHECKING,
so that they can be grouped into subpackages without untangling."""

from __future__ import annotations

import ast
from pathlib import Path

import mock_server

PACKAGE = Path(mock_server.__file__).parent


def imported(path: Path) -> set[str]:
    """The package's own modules ``path`` imports (every import statement, wherever)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:  # from ._x import y
                found.add(node.module.split(".")[0])
            elif node.level == 1:  # from . import _x
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("mock_server."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(
                alias.name.split(".")[1]
                for alias in node.names
                if alias.name.startswith("mock_server.")
            )
    return found


def graph(package: Path) -> dict[str, set[str]]:
    modules = {path.stem: path for path in package.glob("*.py")}
    return {name: imported(path) & set(modules) - {name} for name, path in modules.items()}


def circle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules around it; None when there is none."""
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> list[str] | None:
        if name in trail:
            return [*trail[trail.index(name) :], name]
        if name in done:
            return None
        for target in sorted(edges[name]):
            found = visit(target, [*trail, name])
            if found is not None:
                return found
        done.add(name)
        return None

    for name in sorted(edges):
        found = visit(name, [])
        if found is not None:
            return found
    return None


def test_the_mock_has_no_import_circle() -> None:
    edges = graph(PACKAGE)
    assert "_app" in edges["__init__"]  # the scan sees the package
    found = circle({k: v for k, v in edges.items() if k != "__init__"})
    assert found is None, " -> ".join(found or [])


def test_the_scan_finds_a_circle(tmp_path: Path) -> None:
    # The old one: _app imported _inspector, which imported _app for a type.
    (tmp_path / "_app.py").write_text("from ._inspector import install_journal\n")
    (tmp_path / "_inspector.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._app import MockApp\n"
    )
    (tmp_path / "_log.py").write_text("import mock_server._app\n")
    assert circle(graph(tmp_path)) == ["_app", "_inspector", "_app"]
