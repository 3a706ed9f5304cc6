"""Layers point one way: the contract package at the bottom, the mock (with its proxy) and
the harness above it, neither importing the other, and no package importing another's
private modules. Read from the source with ``ast``, so that an import hidden under
``TYPE_CHECKING`` or inside a function counts too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("apikeys_contract", "mock_server", "conformance")
# What each package may import of the others.
ALLOWED = {
    "apikeys_contract": set(),
    "mock_server": {"apikeys_contract"},
    "conformance": {"apikeys_contract"},
}


def imports(package: str, root: Path = ROOT) -> Iterator[tuple[str, str]]:
    """(module file, imported module) for every absolute import in ``package``."""
    for path in sorted((root / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield str(path.relative_to(root)), alias.name
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield str(path.relative_to(root)), node.module
                for alias in node.names:  # ``from apikeys_contract import _json``
                    yield str(path.relative_to(root)), f"{node.module}.{alias.name}"


def crossings(package: str, root: Path = ROOT) -> list[str]:
    """Imports of another package of the project that the layers forbid."""
    wrong = []
    for where, module in imports(package, root):
        top, *rest = module.split(".")
        if top not in PACKAGES or top == package:
            continue
        if top not in ALLOWED[package]:
            wrong.append(f"{where}: {module} (the {top} package)")
        elif any(part.startswith("_") for part in rest):
            wrong.append(f"{where}: {module} (a private module of {top})")
    return wrong


@pytest.mark.parametrize("package", PACKAGES)
def test_layers_point_one_way(package: str) -> None:
    assert crossings(package) == []


def test_the_scan_sees_a_forbidden_import(tmp_path: Path) -> None:
    (tmp_path / "mock_server").mkdir()
    (tmp_path / "mock_server" / "_x.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from apikeys_contract import Contract\n"
        "from apikeys_contract import _json\n"
        "if TYPE_CHECKING:\n"
        "    from conformance import Report\n"
        "def f() -> None:\n"
        "    import apikeys_contract._loader\n"
    )
    assert crossings("mock_server", tmp_path) == [
        "mock_server/_x.py: apikeys_contract._json (a private module of apikeys_contract)",
        "mock_server/_x.py: conformance (the conformance package)",
        "mock_server/_x.py: conformance.Report (the conformance package)",
        "mock_server/_x.py: apikeys_contract._loader (a private module of apikeys_contract)",
    ]
