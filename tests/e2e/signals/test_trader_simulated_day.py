"""``trend`` and the trader on the simulated market for a day at full speed (simulated clock, in-memory bus, SQLite).

Positions open and close, some by the stop-loss or take-profit the venue keeps on the position itself, and the deals
table reconciles with the venue's executions of the trader's account: the same quantities, prices and fees.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from tests.support.bus import collector
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.bootstrap.exchanges import publishing_gateways
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.signals import producer
from tradewind.bootstrap.simulator import simulated_market
from tradewind.bootstrap.trading import trader
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import DealStatus
from tradewind.settings import Settings, load_settings

STEP_S = 5
PARAMS = {"fast": 5, "slow": 20, "trend": 60, "average": "ema", "atr_period": 14, "sl_atr": "1", "tp_atr": "1.5"}


def settings_for_the_day(tmp_path: Path) -> Settings:
    return load_settings(
        None,
        storage={"url": f"sqlite:///{tmp_path / 'tw.db'}"},
        simulator={
            "seed": 7, "step_interval_ms": STEP_S * 1000, "book_depth": 1,
            "markets": [{"category": "linear", "symbol": "BTCUSDT"}],
        },
        strategies=[{
            "id": "trend-btc", "name": "trend", "exchange": "sim", "category": "linear", "symbol": "BTCUSDT",
            "interval": 1, "amount_quote": "100", "params": PARAMS,
        }],
        producer={"enabled": True, "close_delay_s": 2, "history_candles": 200},
        trader={"cooling_period_s": 600, "sync_interval_s": 60},
    )  # fmt: skip


async def test_trend_and_the_trader_on_a_simulated_day_reconcile_with_the_venue(tmp_path: Path) -> None:
    clock, bus = SimClock(), InMemoryBus()
    platform = Platform(settings_for_the_day(tmp_path), clock, bus, distributed=False)
    market = simulated_market(platform)
    platform.database.upgrade()
    await bus.start()
    signals, on_signal = collector()
    await bus.subscribe("signal.trade.#", on_signal)
    gateways = publishing_gateways(platform)
    for gateway in gateways.values():
        await gateway.load_instruments()
    parts = trader(platform, gateways)
    service = parts.service

    async def run_until(hours: int) -> None:
        end_ns = clock.now_ns() + hours * 3600 * 10**9
        while clock.now_ns() < end_ns:
            await clock.advance(STEP_S)
            await market.simulator.step_until(clock.now_ns())
            # Each signal is handled before the market moves on, as a fast trader would.
            await wait_for(lambda: sum(service.handled.values()) == len(signals))

    await run_until(2)
    signal_parts = producer(platform)
    for component in [*parts.components, *signal_parts.components]:
        if component.start is not None:
            await component.start()
    await run_until(22)
    await service.sync_protected()
    await signal_parts.producer.stop()
    await service.stop()
    await bus.close()

    deals = await service.deals(limit=10_000)
    buys = [d for d in deals if d.action is Action.BUY]
    closed = [d for d in buys if d.status is DealStatus.CLOSED]
    assert len(closed) >= 2, f"one day closed {len(closed)} positions"
    assert any(d.stop_loss_hit or d.take_profit_hit for d in closed), "no close by the venue's own protection"
    assert any(d.manually_closed for d in closed) or len(closed) == sum(d.stop_loss_hit or d.take_profit_hit
                                                                         for d in closed)  # fmt: skip

    # The deals table against the venue's executions of the trader's account.
    account = market.venue.account(platform.settings.exchanges.entries["sim"].sim_account)
    assert account is not None
    by_order: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for e in account.executions:
        by_order[e.order_link_id].append(e)
    for deal in deals:
        fills = by_order.pop(deal.client_order_id)
        qty = sum(e.exec_qty for e in fills)
        assert qty == deal.qty
        assert sum(e.exec_value for e in fills) / qty == deal.price
        assert sum(e.fee for e in fills) == deal.fee
    # What is left are the venue's own stop closes (no client id): they are the deals' SL / TP closes.
    stops = by_order.pop("", [])
    assert not by_order
    by_exchange = [d for d in closed if d.stop_loss_hit or d.take_profit_hit]
    assert sum(e.exec_qty for e in stops) == sum(d.qty for d in by_exchange)
    assert sum(e.fee for e in stops) == sum(d.close_fee for d in by_exchange)
    assert sum(e.exec_value for e in stops) == sum((d.close_price or Decimal(0)) * d.qty for d in by_exchange)
    report = await service.report()
    assert report.realised == sum(d.realised_pnl() for d in closed)
