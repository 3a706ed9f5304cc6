"""The mock's rooms import one another one way, and its modules have no import circle, not
even under TYPE_CHECKING. A module may import its own room's modules; another room only
through that room's ``__init__`` (its stated surface), and only a room below its own."""

from __future__ import annotations

import ast
from pathlib import Path

import mock_server

PACKAGE = Path(mock_server.__file__).parent
# Bottom to top: each room may import the rooms before it, never those after.
ROOMS = ("common", "journal", "mock", "proxy", "server")


def module_name(path: Path, package: Path) -> str:
    """``mock/_app`` for mock_server/mock/_app.py, ``__init__`` for the package's own."""
    return path.relative_to(package).with_suffix("").as_posix()


def imported(path: Path, package: Path) -> set[str]:
    """The package's modules and rooms that ``path`` imports (every import, wherever):
    ``mock/_app`` for a module, ``mock`` for a room's ``__init__``."""
    here = path.relative_to(package).parent.parts  # () at the top, ("mock",) in a room
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[tuple[str, ...]] = []
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
            module = tuple(node.module.split(".")) if node.module else ()
            if module:
                targets.append((*base, *module))
            else:  # from . import _x
                targets += [(*base, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mock_server."):
            targets.append(tuple((node.module or "").split(".")[1:]))
        elif isinstance(node, ast.Import):
            targets += [
                tuple(alias.name.split(".")[1:])
                for alias in node.names
                if alias.name.startswith("mock_server.")
            ]
        found.update("/".join(target[:2]) for target in targets if target)
    return found


def graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules and rooms it imports; a room's ``__init__`` is named by the room."""
    modules: dict[str, Path] = {}
    for path in package.rglob("*.py"):
        name = module_name(path, package)
        modules[name.removesuffix("/__init__") if "/" in name else name] = path
    return {name: imported(path, package) & set(modules) - {name} for name, path in modules.items()}


def room_of(name: str) -> str | None:
    return name.split("/")[0] if name.split("/")[0] in ROOMS else None


def wrong_way(edges: dict[str, set[str]]) -> list[str]:
    """Imports that go up a room, or into another room's private module."""
    wrong = []
    for name, targets in sorted(edges.items()):
        room = room_of(name)
        for target in sorted(targets):
            other = room_of(target)
            if room is None or other is None or other == room:
                continue
            if ROOMS.index(other) > ROOMS.index(room):
                wrong.append(f"{name} imports {target}, a room above its own")
            elif target != other:
                wrong.append(f"{name} imports {target}, past the {other} room's __init__")
    return wrong


def circle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules around it; None when there is none."""
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> list[str] | None:
        if name in trail:
            return [*trail[trail.index(name) :], name]
        if name in done:
            return None
        for target in sorted(edges.get(name, ())):
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


def test_every_module_lives_in_a_room() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "pytest_plugin.py"]
    assert sorted(path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()) == [
        *sorted(ROOMS)
    ]
    for room in ROOMS:  # each room says what it holds and what it may import
        doc = ast.get_docstring(ast.parse((PACKAGE / room / "__init__.py").read_text()))
        assert doc is not None, room
        assert "Imports:" in doc, room


def test_rooms_import_one_way() -> None:
    edges = graph(PACKAGE)
    assert "mock" in edges["__init__"]  # the scan sees the package
    assert "common" in edges["mock/_app"]
    assert wrong_way(edges) == []


def test_the_mock_has_no_import_circle() -> None:
    edges = graph(PACKAGE)
    found = circle({k: v for k, v in edges.items() if k != "__init__"})
    assert found is None, " -> ".join(found or [])


def test_the_scan_finds_a_circle_and_a_wrong_way(tmp_path: Path) -> None:
    for room in ("journal", "mock"):
        (tmp_path / room).mkdir()
        (tmp_path / room / "__init__.py").write_text("")
    # The old circle: _app imported _inspector, which imported _app for a type.
    (tmp_path / "mock" / "_app.py").write_text("from ..journal._inspector import routes\n")
    (tmp_path / "journal" / "_inspector.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..mock._app import App\n"
    )
    edges = graph(tmp_path)
    assert circle(edges) == ["journal/_inspector", "mock/_app", "journal/_inspector"]
    assert wrong_way(edges) == [
        "journal/_inspector imports mock/_app, a room above its own",
        "mock/_app imports journal/_inspector, past the journal room's __init__",
    ]
