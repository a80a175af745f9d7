"""A trade or deal event as a chat line: sizes at the lot step, prices at the tick, money at tick x lot, signed PnL."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from tradewind.domain.trading.events import EventKind, Origin, TradeEvent
from tradewind.domain.values import Category, Side
from tradewind.interfaces.render.trading import trade_event_text

D = Decimal
CLOSED = TradeEvent(
    EventKind.CLOSED, Origin.DESK, 9, "", "bybit", Category.SPOT, "ETHUSDT", Side.SELL, D("0.0123456"), D("2500"),
    D("2400.004"), D("1.2299"), D("0.05"), "take_profit", False, "USDT", D("0.01"), D("0.0001"), 0,
)  # fmt: skip


def test_a_short_closed_at_a_profit_is_signed_and_on_each_grid() -> None:
    assert trade_event_text(CLOSED) == (
        "Trade 9 closed (take profit) on bybit spot: Sell 0.0123 ETHUSDT at 2500.00 -> 2400.00, PnL +1.229900 USDT, "
        "fees 0.050000 USDT"
    )


def test_a_close_by_the_exchange_says_so_once() -> None:
    by_stop = replace(CLOSED, origin=Origin.TRADER, source="trend-eth", reason="stop_loss", by_exchange=True)
    assert trade_event_text(by_stop).startswith("Deal 9 (trend-eth) closed (stop loss on the exchange) on bybit")
    flat = replace(CLOSED, reason="closed_by_exchange", by_exchange=True, pnl=D("-0.00000001"))
    text = trade_event_text(flat)
    assert "closed (by the exchange's protection) on bybit" in text and "PnL -0.000000 USDT" in text


def test_an_open_has_its_entry_and_fee_only() -> None:
    opened = replace(CLOSED, kind=EventKind.OPENED, exit_price=None, pnl=None, reason="")
    text = trade_event_text(opened)
    assert text == "Trade 9 opened on bybit spot: Sell 0.0123 ETHUSDT at 2500.00, fees 0.050000 USDT"
