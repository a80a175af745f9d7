"""Which build of the matching core is imported: compiled by default, pure Python when asked or when stale."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from tradewind.domain import matching
from tradewind.domain.matching import kernel

CORE_DIR = Path(kernel.__file__).parent


def test_the_default_build_runs_the_compiled_core_unless_pure_python_is_asked_for() -> None:
    modules = [sys.modules[f"tradewind.domain.matching.{name}"] for name in kernel.CORE_MODULES]
    if kernel.pure_requested(dict(os.environ)):
        assert not matching.COMPILED and matching.KERNEL == "pure Python"
        assert all(str(m.__file__).endswith(".py") for m in modules)
    else:  # `pip install -e .` compiled the core, and it matches its source
        assert kernel.compiled_build_state() == "current"
        assert matching.COMPILED and matching.KERNEL == "mypyc"
        assert all(not str(m.__file__).endswith(".py") for m in modules)


@pytest.mark.parametrize(("value", "kernel_name"), [("1", "pure Python"), ("0", None), ("", None)])
def test_tradewind_pure_python_chooses_the_build_at_import(value: str, kernel_name: str | None) -> None:
    env = {**os.environ, kernel.PURE_ENV: value}
    probe = (
        "import tradewind.domain.matching as m, sys; print(m.KERNEL, sys.modules[m.MatchingEngine.__module__].__file__)"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    name, path = out.rsplit(" ", 1)
    expected = kernel_name or ("mypyc" if kernel.compiled_build_state() == "current" else "pure Python")
    assert name == expected
    assert path.strip().endswith(".py") == (expected == "pure Python")


def test_the_pure_source_loads_beside_the_installed_build() -> None:
    modules = kernel.load_source("tests_kernel_side_by_side")
    assert all(not kernel.is_compiled(m) for m in modules.values())
    assert modules["engine"].MatchingEngine is not matching.MatchingEngine
    assert modules["events"].OrderStatus is matching.OrderStatus  # the enums are shared, so `is` checks hold


def _copy_core(to: Path) -> None:
    for name in kernel.CORE_MODULES:
        shutil.copy(CORE_DIR / f"{name}.py", to / f"{name}.py")


def test_a_source_changed_since_the_build_makes_the_build_stale(tmp_path: Path) -> None:
    _copy_core(tmp_path)
    assert kernel.compiled_build_state(tmp_path) == "none"
    (tmp_path / kernel.HASHES_FILE).write_text(json.dumps(kernel.source_hashes(tmp_path)))
    assert kernel.compiled_build_state(tmp_path) == "current"
    with (tmp_path / "engine.py").open("a") as source:
        source.write("\n# edited after the build\n")
    assert kernel.compiled_build_state(tmp_path) == "stale"


def test_a_stale_build_runs_the_source_and_says_so(tmp_path: Path) -> None:
    _copy_core(tmp_path)
    (tmp_path / kernel.HASHES_FILE).write_text(json.dumps({"engine.py": "0" * 64}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kernel.choose("tests_kernel_stale", {}, tmp_path)
    assert any("older than its source" in str(w.message) for w in caught)
    assert not kernel.is_compiled(sys.modules["tests_kernel_stale.engine"])
