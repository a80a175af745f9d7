"""Build step: compile the matching core with mypyc (project metadata is in pyproject.toml).

``pip install -e .`` (and every wheel build) compiles ``domain/matching/{events,core,engine}.py`` with the machine's
C compiler and records the SHA-256 of each compiled source in ``compiled_from.json`` beside them, so the package
can tell a stale build (see ``tradewind/domain/matching/kernel.py``). ``TRADEWIND_PURE_PYTHON=1`` at build time, or
no working C compiler, installs the pure-Python modules only, with a message saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
CORE = HERE / "src" / "tradewind" / "domain" / "matching"
CORE_MODULES = ("events", "core", "engine")  # the same list as kernel.CORE_MODULES
PURE_ENV = "TRADEWIND_PURE_PYTHON"


def say(message: str) -> None:
    print(f"tradewind build: {message}", file=sys.stderr, flush=True)


class CompileOrFallBack(build_ext):
    """build_ext that records what it compiled, and installs pure Python when the C build cannot run."""

    def run(self) -> None:
        from setuptools.errors import CCompilerError, ExecError, PlatformError

        hashes_file = Path(self.get_ext_fullpath("tradewind.domain.matching.engine")).parent / "compiled_from.json"
        hashes_file.unlink(missing_ok=True)
        try:
            super().run()
        except (CCompilerError, ExecError, PlatformError, OSError) as exc:
            for ext in self.extensions:  # a half-built core must not be imported
                Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
            say(f"could not compile the matching core ({exc}); installing the pure-Python modules instead")
            return
        hashes = {f"{m}.py": hashlib.sha256((CORE / f"{m}.py").read_bytes()).hexdigest() for m in CORE_MODULES}
        hashes_file.parent.mkdir(parents=True, exist_ok=True)
        hashes_file.write_text(json.dumps(hashes, indent=1) + "\n")
        say(f"compiled the matching core with mypyc ({', '.join(CORE_MODULES)})")


def ext_modules() -> list[object]:
    if os.environ.get(PURE_ENV, "").strip() not in ("", "0"):
        say(f"{PURE_ENV} is set: installing the pure-Python matching core, nothing compiled")
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        say("mypyc is not installed in the build environment; installing the pure-Python matching core")
        return []
    paths = [str((CORE / f"{m}.py").relative_to(HERE)) for m in CORE_MODULES]
    # No project config (its pydantic plugin is not in the build environment); the modules these import stay
    # interpreted, so their own errors are not this build's concern. `make lint` type-checks everything strictly.
    options = ["--config-file=", "--follow-imports=silent", "--ignore-missing-imports", "--strict"]
    return list(mypycify([*options, *paths], opt_level="3", group_name="tradewind_matching"))


setup(ext_modules=ext_modules(), cmdclass={"build_ext": CompileOrFallBack})
