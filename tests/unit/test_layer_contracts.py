"""The layer rules of docs/architecture.md hold on the tree, and the check catches an import that breaks one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(pyproject: Path, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the project's contracts; the package is found on ``pythonpath`` first if given."""
    env = {**os.environ, "COLUMNS": "250"}  # one contract per line: rich wraps to the terminal width
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(pyproject), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_every_layer_contract(pytestconfig: pytest.Config, tmp_path: Path) -> None:
    done = lint_imports(pytestconfig.rootpath / "pyproject.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


WRONG_IMPORTS = [  # (package of the new module, what it imports, the contract that must break)
    ("domain", "tradewind.adapters.clock", "domain imports nothing of the project outside itself"),
    ("application", "tradewind.adapters.clock", "application imports only domain and itself"),
    ("adapters", "tradewind.interfaces.http", "adapters import no interface and not the composition root"),
    ("interfaces", "tradewind.adapters.clock", "only bootstrap constructs adapters"),
    ("interfaces.http", "tradewind.bootstrap", "only the CLI builds the system"),
]


@pytest.mark.parametrize(("package", "imported", "contract"), WRONG_IMPORTS)
def test_a_wrong_import_breaks_the_contract_of_its_layer(
    package: str, imported: str, contract: str, pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    copy = tmp_path / "src" / "tradewind"
    shutil.copytree(pytestconfig.rootpath / "src" / "tradewind", copy, ignore=shutil.ignore_patterns("__pycache__"))
    # A new module that nothing imports, so only the contract of its own layer can break.
    (copy.joinpath(*package.split(".")) / "wrong.py").write_text(f"import {imported}  # deliberately wrong\n")

    done = lint_imports(pytestconfig.rootpath / "pyproject.toml", cwd=tmp_path, pythonpath=tmp_path / "src")

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"tradewind.{package}.wrong -> {imported}" in done.stdout
    broken = [line for line in done.stdout.splitlines() if " BROKEN" in line]
    assert len(broken) == 1 and broken[0].startswith(contract), broken
