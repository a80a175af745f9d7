"""Plugins from YAML: the example package (examples/tradewind-example-plugin, installed in the dev environment) adds
a front end, an exchange and a risk strategy through entry points, loaded by the names in tradewind.yaml."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fakes.exchange import FakeExchange
from tests.fakes.trades import FakeTrades
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.trading.trades import TradeDesk
from tradewind.bootstrap.embedded import build_embedded
from tradewind.bootstrap.plugins import load_plugin
from tradewind.bootstrap.trading import risk_registry
from tradewind.domain.commands import OpenTrade
from tradewind.domain.values import Category, Side
from tradewind.settings import ConfigError, load_settings

CONFIG = """
storage: {{url: "sqlite:///{db}"}}
logging: {{to_database: false}}
http: {{enabled: false}}
simulator: {{step_interval_ms: 20}}
commands:
  users:
    - {{name: ops, role: trade}}
    - {{name: watcher, role: view}}
exchanges:
  default: sim
  entries:
    sim: {{}}
    paper: {{plugin: sim-alias}}
plugins:
  frontends:
    - name: line-socket
      options: {{host: 127.0.0.1, port: {port}, user: ops}}
    - name: line-socket
      source: watch-socket
      options: {{host: 127.0.0.1, port: {view_port}, user: watcher}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _ask(port: int, *lines: str) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    try:
        for line in lines:
            writer.write(line.encode() + b"\n")
            await writer.drain()
            answers.append((await reader.readuntil(b"\n.\n")).decode().removesuffix("\n.\n"))
    finally:
        writer.close()
    return answers


def test_an_unknown_plugin_name_is_a_configuration_error_listing_the_installed_ones() -> None:
    with pytest.raises(ConfigError, match=r"no plugin 'nope' in entry point group 'tradewind.frontends' "
                                          r"\(available: .*line-socket"):  # fmt: skip
        load_plugin("tradewind.frontends", "nope")


async def test_the_example_front_end_and_exchange_load_from_yaml_and_trade(tmp_path: Path) -> None:
    port, view_port = _free_port(), _free_port()
    config = tmp_path / "tradewind.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "tw.db", port=port, view_port=view_port))
    system = build_embedded(load_settings(config), console_logging=False, serve_exchange=False)
    await system.start()
    try:
        status, created = await _ask(port, "status", "twap buy btc 0.01 over 1h slices 2 -e paper --id p1")
        refused = await _ask(view_port, "twap pause p1")
    finally:
        await system.stop()
    assert "default_exchange: sim" in status
    assert "job_id: p1" in created and "exchange: paper" in created and "status: running" in created, created
    assert refused == ["refused: watcher has role view; this command needs trade"]
    with sqlite3.connect(tmp_path / "tw.db") as db:
        audit = db.execute("SELECT source, user_name, status FROM command_audit ORDER BY id").fetchall()
    assert audit == [
        ("line-socket", "ops", "done"),
        ("line-socket", "ops", "done"),
        ("watch-socket", "watcher", "refused"),
    ]


async def test_the_example_risk_strategy_loads_from_yaml_and_closes_a_trade(tmp_path: Path) -> None:
    config = tmp_path / "tradewind.yaml"
    config.write_text('trades: {risk: {breakeven: "1"}}\n')
    settings = load_settings(config).trades
    registry = risk_registry(settings)
    assert "breakeven" in registry.names
    exchange = FakeExchange("fake", bid=Decimal("99990"), ask=Decimal("100010"))
    desk = TradeDesk(FakeTrades(), {"fake": exchange}, InMemoryBus(), SimClock(), settings, registry=registry)
    trade = await desk.open(OpenTrade(Side.BUY, "BTCUSDT", Decimal(100), exchange="fake"), "k")
    assert trade.risk == {"breakeven": Decimal(1)}  # from YAML, on a trade the command gave no risk flag
    market = ("fake", Category.SPOT, "BTCUSDT")
    assert await desk.on_price(market, Decimal("100000")) == []  # not armed: the price never rose 1 %
    await desk.on_price(market, Decimal("101020"))
    (closed,) = await desk.on_price(market, Decimal("100010"))
    assert closed.close_reason == "breakeven"


@pytest.mark.parametrize(
    ("risk", "error"),
    [('{nope: "1"}', "no plugin 'nope' in entry point group 'tradewind.risk'"),
     ('{breakeven: "-1"}', "trades.risk: breakeven must be above 0")],
)  # fmt: skip
def test_a_bad_risk_strategy_in_yaml_is_a_configuration_error(tmp_path: Path, risk: str, error: str) -> None:
    config = tmp_path / "tradewind.yaml"
    config.write_text(f"trades: {{risk: {risk}}}\n")
    with pytest.raises(ConfigError, match=error):
        risk_registry(load_settings(config).trades)
