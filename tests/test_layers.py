"""The package's floors, as the README's Architecture block lists them, are the real imports.

Every module of ``indexnow_sync`` imports only modules listed above it in that block, so there
is no import cycle and no room reaches up to one built on it. Every import counts: at the top
of a module, inside a function (the package imports heavy modules lazily) and under
``if TYPE_CHECKING:`` (a type a module names is a dependency on the module that defines it,
even when it costs nothing at run time). The order is read from the README, so the two cannot
drift apart. A line marked ``(coming`` names a module another issue will add: it may be absent.
Also: only ``web.py`` imports requests, only ``cli.py`` imports click.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "indexnow_sync"
README = ROOT / "README.md"

_ROOM = re.compile(r"^  (\w+)\.py\s+(.*)$")
# Not rooms: the package itself (``__version__``; imports nothing of its own) and
# ``python -m indexnow_sync`` (the entry point, on top of everything).
_PACKAGE, _ENTRY = "__init__", "__main__"


def architecture() -> list[tuple[str, bool]]:
    """The README's Architecture block, in order: (module, marked as coming)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Architecture\n", 1)[1]
    block = section.split("```\n", 2)[1]
    rooms = []
    for line in block.splitlines():
        match = _ROOM.match(line)
        if match:
            rooms.append((match.group(1), match.group(2).startswith("(coming")))
    return rooms


def imported(source: str, modules: set[str]) -> tuple[set[str], set[str]]:
    """What ``source`` imports, anywhere in it: (modules of the package among ``modules``,
    ``_PACKAGE`` for the package itself; top-level names of everything else)."""
    own: set[str] = set()
    other: set[str] = set()

    def package_names(names: list[ast.alias]) -> None:
        # ``from . import x``: the module x, or a name the package itself defines.
        own.update(a.name if a.name in modules else _PACKAGE for a in names)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "indexnow_sync":
                    own.add(parts[1] if len(parts) > 1 else _PACKAGE)
                else:
                    other.add(parts[0])
        elif isinstance(node, ast.ImportFrom):
            assert node.level <= 1, "imports reach at most the package itself"
            parts = (node.module or "").split(".")
            if node.level == 1 or parts[0] == "indexnow_sync":
                inner = parts if node.level == 1 else parts[1:]
                if inner and inner[0]:
                    own.add(inner[0])
                else:
                    package_names(node.names)
            else:
                other.add(parts[0])
    return own, other


def _modules() -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py")}


def test_the_reader_sees_every_kind_of_import() -> None:
    """The import reader itself: lazy, TYPE_CHECKING, relative, absolute and ``from .``."""
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "import requests.adapters\n"
        "from . import __version__, urls as urlrules\n"
        "from indexnow_sync.errors import FetchError\n"
        "import indexnow_sync.models\n"
        "if TYPE_CHECKING:\n"
        "    from .web import WebClient\n"
        "def f() -> None:\n"
        "    from .sources import BUILD_NAMES\n"
        "    import click\n"
    )
    modules = {"urls", "errors", "models", "web", "sources"}
    own, other = imported(source, modules)
    assert own == {_PACKAGE, "urls", "errors", "models", "web", "sources"}
    assert other == {"__future__", "typing", "requests", "click"}


def test_every_module_is_a_listed_room_and_every_listed_room_exists() -> None:
    rooms = architecture()
    names = [name for name, _ in rooms]
    assert len(names) == len(set(names)), "a module listed twice"
    present = set(_modules()) - {_PACKAGE, _ENTRY}
    assert sorted(present - set(names)) == [], "modules missing from README's Architecture"
    absent = [name for name, coming in rooms if name not in present and not coming]
    assert absent == [], "README's Architecture lists modules that do not exist"


def test_no_module_imports_one_listed_below_it() -> None:
    order = {name: floor for floor, (name, _) in enumerate(architecture())}
    sources = _modules()
    modules = set(sources) - {_PACKAGE}
    upward = []
    for name, source in sorted(sources.items()):
        own, _ = imported(source, modules)
        if name == _PACKAGE:
            assert own == set(), "the package's __init__ imports none of its modules"
            continue
        if name == _ENTRY:
            assert own <= {"cli", _PACKAGE}
            continue
        if name not in order:
            continue  # not listed at all: the test above says so
        upward += [
            f"{name}.py imports {dep}.py"
            for dep in sorted(own - {_PACKAGE})
            if order.get(dep, len(order)) >= order[name]
        ]
    assert upward == [], "imports against README's Architecture order"


@pytest.mark.parametrize(("library", "owner"), [("requests", "web"), ("click", "cli")])
def test_only_one_module_imports(library: str, owner: str) -> None:
    sources = _modules()
    users = {name for name, source in sources.items() if library in imported(source, set())[1]}
    assert users == {owner}
