"""A package's names loaded on first use (PEP 562), each listed once: in the map of the module that holds it.

A package's ``__init__`` maps its names to their submodules in a ``LazyNames``; its ``__all__`` is ``LazyNames.names``
and its ``__getattr__`` is ``LazyNames.load``. Type checkers cannot follow the map, so the package also imports the
names under ``TYPE_CHECKING`` (``Name as Name``, the explicit re-export); ``tests/unit/test_lazy_packages.py`` holds
that block and the map to the same names and modules.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib import import_module


class LazyNames:
    """The names of ``package`` by the submodule that defines them, imported when first asked for."""

    __slots__ = ("_homes", "_package", "names")

    def __init__(self, package: str, homes: Mapping[str, tuple[str, ...]]) -> None:
        self._package = package
        self._homes = {name: module for module, names in homes.items() for name in names}
        self.names = sorted(self._homes)

    def home(self, name: str) -> str:
        """The submodule's full name that defines ``name``; KeyError for a name not in the map."""
        return f"{self._package}.{self._homes[name]}"

    def load(self, name: str) -> object:
        """The package's ``__getattr__``: the name from its submodule (kept in the package, so asked once), or
        AttributeError naming it."""
        if name not in self._homes:
            raise AttributeError(f"module {self._package!r} has no attribute {name!r}")
        value = getattr(import_module(self.home(name)), name)
        setattr(sys.modules[self._package], name, value)
        return value
