"""Hypothesis over ``tradewind twap`` argument lists: every one ends with exit code 0, 1 or 2 and a message, never a
traceback or an exception escaping the CLI. Run in process (typer's runner) on a SQLite file, so it takes seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tradewind.interfaces.cli.app import app

NUMBERS = st.sampled_from(
    [
        "0.12",
        "1",
        "0",
        "-1",
        "1e30",
        "1e400",
        "NaN",
        "Infinity",
        "-Infinity",
        "\u0661",
        "1_0",
        "60.7",
        "2.7",
        "true",
        "",
        " ",
        "1000000000000",
        "0x10",
        "1e-30",
        "3600",
        "12",
        "9" * 5000,
    ]
)
WORDS = st.sampled_from(
    [
        "buy",
        "Sell",
        "BTCUSDT",
        "btcusdt",
        "ETHUSDT",
        "spot",
        "linear",
        "sim",
        "x",
        "--",
        "-",
        "-c",
        "--qty",
        "--help",
        "market",
        "passive_limit",
        "stop",
        "skip",
        "catch_up",
        "\x00",
        "é",
    ]
)
OPTIONS = st.sampled_from(["--qty", "--notional", "--runtime", "--interval", "--slices", "--limit", "--on-limit",
                           "--catch-up", "--style", "--slippage-bps", "--size-jitter", "--time-jitter", "--seed",
                           "--exchange", "--category", "--id"])  # fmt: skip
VALUE = NUMBERS | WORDS | st.text(max_size=12)
CREATE = st.tuples(
    WORDS | st.sampled_from(["Buy", "Sell"]),
    WORDS | st.just("BTCUSDT"),
    st.lists(st.tuples(OPTIONS, VALUE), max_size=5),
    st.booleans(),
).map(lambda t: ["twap", "create", t[0], t[1], *[x for pair in t[2] for x in pair], *(["--allow-insufficient"] * t[3])])
CONTROL = st.tuples(
    st.sampled_from(["show", "pause", "resume", "cancel", "archive", "report", "list"]),
    st.lists(VALUE | OPTIONS | st.sampled_from(["--archived", "--chart"]), max_size=3),
).map(lambda t: ["twap", t[0], *t[1]])
ANYTHING = st.lists(VALUE | OPTIONS, max_size=6).map(lambda rest: ["twap", *rest])


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SQLite config, migrated once by a first ``twap list``, so each example costs a few milliseconds."""
    folder = tmp_path_factory.mktemp("cli-fuzz")
    path = folder / "tw.yaml"
    path.write_text(f"storage:\n  url: sqlite:///{folder / 'tw.db'}\nlogging:\n  level: critical\n")
    assert CliRunner().invoke(app, ["twap", "list", "-c", str(path)]).exit_code == 0
    yield path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=CREATE | CONTROL | ANYTHING)
def test_no_argument_list_makes_the_twap_cli_print_a_traceback(config: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "-c", str(config)])
    assert result.exit_code in (0, 1, 2), (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert "Traceback" not in result.output, (args, result.output)
    if result.exit_code != 0:
        assert result.stderr.strip(), args  # a refusal says why
