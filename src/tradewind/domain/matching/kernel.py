"""Which build of the matching core runs: the mypyc-compiled modules or their pure-Python source.

``pip install -e .`` compiles ``events``, ``core`` and ``engine`` with mypyc (setup.py) and records the SHA-256 of
each source it compiled in ``compiled_from.json``. The package imports the compiled modules when they exist and
match their source; with ``TRADEWIND_PURE_PYTHON=1``, without a compiled build, or when the source changed since
the build (a warning says so), it executes the ``.py`` files instead. Never compiled itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import warnings
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

CORE_MODULES = ("events", "core", "engine")  # in dependency order
PURE_ENV = "TRADEWIND_PURE_PYTHON"
HASHES_FILE = "compiled_from.json"
_HERE = Path(__file__).resolve().parent


def pure_requested(environ: dict[str, str]) -> bool:
    """Whether ``TRADEWIND_PURE_PYTHON`` asks for plain Python (any value but empty or 0)."""
    return environ.get(PURE_ENV, "").strip() not in ("", "0")


def source_hashes(directory: Path = _HERE) -> dict[str, str]:
    """SHA-256 of each core module's source file, by file name."""
    return {f"{name}.py": hashlib.sha256((directory / f"{name}.py").read_bytes()).hexdigest() for name in CORE_MODULES}


def compiled_build_state(directory: Path = _HERE) -> str:
    """``"none"`` (no compiled build here), ``"stale"`` (the source changed since) or ``"current"``."""
    try:
        built = json.loads((directory / HASHES_FILE).read_text())
    except (OSError, ValueError):
        return "none"
    return "current" if built == source_hashes(directory) else "stale"


def load_source(package: str) -> dict[str, ModuleType]:
    """Execute the core's ``.py`` files as ``package.events``, ``package.core``, ``package.engine``.

    With ``package`` = this package, they replace the compiled modules for the whole process (the package does
    this before anything imports them); with another name, both builds live side by side (the equivalence tests).
    """
    if package not in sys.modules:
        parent = ModuleType(package, "The pure-Python matching core, loaded from source beside the compiled one.")
        parent.__path__ = []
        sys.modules[package] = parent
    loaded: dict[str, ModuleType] = {}
    for name in CORE_MODULES:
        full = f"{package}.{name}"
        loader = SourceFileLoader(full, str(_HERE / f"{name}.py"))
        spec = importlib.util.spec_from_file_location(full, loader.path, loader=loader)
        assert spec is not None  # a file location with a loader always gives a spec
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        loader.exec_module(module)
        setattr(sys.modules[package], name, module)
        loaded[name] = module
    return loaded


def is_compiled(module: ModuleType) -> bool:
    """Whether ``module`` is an extension module (mypyc) rather than Python source."""
    return not str(getattr(module, "__file__", "") or "").endswith(".py")


def choose(package: str, environ: dict[str, str], directory: Path = _HERE) -> None:
    """Make ``package``'s core modules the pure source when asked for, or when the compiled build is stale."""
    if pure_requested(environ):
        load_source(package)
        return
    state = compiled_build_state(directory)
    if state == "stale":
        warnings.warn(
            "tradewind: the compiled matching core is older than its source; running the pure-Python source. "
            "Rebuild with `pip install -e .` (or `make .venv/.dev-stamp`).",
            RuntimeWarning,
            stacklevel=3,
        )
        load_source(package)
