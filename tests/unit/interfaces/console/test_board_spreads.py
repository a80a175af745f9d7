"""The live view's spread of each matching group, from md events alone."""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console

from tradewind.adapters.clock import SimClock
from tradewind.application.messages.market import BOOK
from tradewind.application.ports.bus import Message
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.values import Category
from tradewind.interfaces.console.board import MarketBoard
from tradewind.interfaces.console.view import render


def _book(category: Category, bid: str, ask: str, key: str = "BTCUSDT") -> Message:
    ref = InstrumentRef("sim", category, "BTCUSDT" if key else "XRPUSDT", key)
    snapshot = BookSnapshot(ref, 1, ((Decimal(bid), Decimal(1)),), ((Decimal(ask), Decimal(1)),), 0)
    return Message(ref.topic("book"), BOOK.encode(snapshot))


async def test_each_group_shows_the_spread_both_ways_and_a_lone_market_none() -> None:
    board = MarketBoard(SimClock())
    await board.on_message(_book(Category.SPOT, "99990", "100000"))
    await board.on_message(_book(Category.LINEAR, "100100", "100110"))
    await board.on_message(_book(Category.SPOT, "1", "2", key=""))
    spreads = {(g.long.category, g.short.category): g.bps for g in board.group_spreads()}
    assert spreads == {
        ("spot", "linear"): Decimal(10),
        ("linear", "spot"): (Decimal(99_990) - 100_110) / 100_110 * 10_000,
    }
    console = Console(width=140, record=True, file=io.StringIO())
    console.print(render(board))
    screen = console.export_text()
    assert "Spreads" in screen and "10.00" in screen and "-11.99" in screen


def test_the_view_says_where_data_goes_and_explains_its_columns() -> None:
    board = MarketBoard(SimClock())
    board.where = lambda: "sim-exchange :8080   database sqlite:///data/tradewind.db (12.5 MB)"
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(render(board))
    screen = console.export_text()
    assert "sim-exchange :8080" in screen and "database sqlite:///data/tradewind.db (12.5 MB)" in screen
    assert "book seq: the engine's book sequence" in screen and "bps: (sell-side bid" in screen
