"""``tradewind twap create`` refuses every bad number with exit code 2 and one line naming the option, before any
system is built: no traceback, nothing stored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradewind.interfaces.cli.app import app

GOOD = ["twap", "create", "Buy", "BTCUSDT", "--qty", "0.12", "--runtime", "3600", "--slices", "12"]


def _with(option: str, value: str) -> list[str]:
    args = list(GOOD)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    if option == "--interval":
        del args[args.index("--slices") : args.index("--slices") + 2]
    return args


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config whose database is a file that must never appear: bad input stops before the system is built."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tw.yaml"
    path.write_text(f"storage:\n  url: sqlite:///{tmp_path / 'never.db'}\n")
    return path


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--qty", "1e30"),
        ("--qty", "NaN"),
        ("--qty", "Infinity"),
        ("--qty", "-Infinity"),
        ("--qty", "\u0661"),  # an Arabic-Indic one: Decimal() would read it as 1
        ("--qty", "1_0"),  # Decimal() would read it as 10
        ("--qty", "1e400000000"),
        ("--notional", "NaN"),
        ("--limit", "1e308"),
        ("--slippage-bps", "Infinity"),
        ("--size-jitter", "NaN"),
        ("--runtime", "60.7"),  # was truncated to 60
        ("--runtime", "true"),
        ("--runtime", "Infinity"),
        ("--runtime", "1000000000000"),  # past the configured year
        ("--slices", "2.7"),  # was truncated to 2
        ("--slices", "1e400"),
        ("--interval", "Infinity"),
        ("--seed", "1e400"),
        ("--seed", "1_0"),
    ],
)
def test_a_bad_number_exits_2_with_one_line_naming_the_option(config: Path, option: str, value: str) -> None:
    result = CliRunner().invoke(app, [*_with(option, value), "-c", str(config)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # typer.Exit, not an exception escaping
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{option} must be"), result.stderr
    assert "Traceback" not in result.output
    assert not (config.parent / "never.db").exists()


def test_the_slice_rule_refuses_before_the_system_is_built(config: Path) -> None:
    result = CliRunner().invoke(app, [*_with("--interval", "600"), "--runtime", "300", "-c", str(config)])
    assert result.exit_code == 2 and "shorter than one interval of 600 s" in result.stderr
    assert not (config.parent / "never.db").exists()


def test_a_bad_number_in_a_real_process_prints_no_traceback(config: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "tradewind", *_with("--qty", "1e30"), "-c", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert process.returncode == 2
    assert process.stdout == ""
    assert process.stderr.strip().startswith("--qty must be a number") and "Traceback" not in process.stderr


def test_create_on_the_in_process_simulator_says_where_to_create_it(tmp_path: Path) -> None:
    config = tmp_path / "tw.yaml"
    config.write_text(f"storage: {{url: 'sqlite:///{tmp_path / 'tw.db'}'}}\n")
    result = CliRunner().invoke(
        app, ["twap", "create", "buy", "BTCUSDT", "--qty", "0.01", "--slices", "5", "-c", str(config)]
    )
    assert result.exit_code == 2
    assert "simulator inside `tradewind run`" in result.output and "POST /twap" in result.output
    assert not (tmp_path / "tw.db").exists()  # refused before anything was opened
