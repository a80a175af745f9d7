"""Every package that loads its names on first use (``tradewind.lazy.LazyNames``): the ``TYPE_CHECKING`` imports
type checkers read name the same names, from the same modules, as the map the package loads them by."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import tradewind
from tradewind.lazy import LazyNames

SRC = Path(tradewind.__file__).parent
LAZY = sorted(p for p in SRC.rglob("__init__.py") if "LazyNames(" in p.read_text(encoding="utf-8"))


def _package(path: Path) -> str:
    return ".".join(("tradewind", *path.parent.relative_to(SRC).parts))


def _type_checking_imports(path: Path) -> dict[str, str]:
    """name -> module of each import under ``if TYPE_CHECKING:``, each an explicit re-export (``Name as Name``)."""
    found: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module is not None
                for alias in statement.names:
                    assert alias.asname == alias.name, f"{path}: {alias.name} is not re-exported as itself"
                    found[alias.name] = statement.module
    return found


def test_the_lazy_packages_are_found() -> None:
    assert {_package(p) for p in LAZY} >= {"tradewind.application.venue", "tradewind.adapters.logging"}


@pytest.mark.parametrize("path", LAZY, ids=_package)
def test_the_type_checking_block_and_the_map_name_the_same_things(path: Path) -> None:
    package = importlib.import_module(_package(path))
    lazy = vars(package)["_LAZY"]
    assert isinstance(lazy, LazyNames)
    seen = _type_checking_imports(path)
    assert package.__all__ == lazy.names == sorted(seen)
    assert {name: lazy.home(name) for name in lazy.names} == seen
    for name in lazy.names:  # loaded from its module: the very object
        assert getattr(package, name) is getattr(importlib.import_module(seen[name]), name)
    with pytest.raises(AttributeError, match=f"module '{package.__name__}' has no attribute 'Nowhere'"):
        _ = package.Nowhere
