"""Rich rendering of the market board, and the loop that redraws it until the user quits."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import termios
import tty
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tradewind.domain.values import Side
from tradewind.interfaces.console.board import MarketBoard


def _fmt(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:f}"


def render(board: MarketBoard, title: str = "Tradewind (embedded)", hint: str = "press q to quit") -> Group:
    """The whole screen: one row per market, the spread of each matching group both ways, the latest trades; ``hint``
    says how to leave."""
    markets = Table(title="Markets", expand=True)
    for column in ("market", "bid size", "bid", "ask", "ask size", "spread", "mid", "last", "trades", "book seq"):
        markets.add_column(column, justify="left" if column == "market" else "right")
    for row in sorted(board.rows.values(), key=lambda r: (r.symbol, r.category, r.exchange)):
        markets.add_row(
            f"{row.exchange} {row.category} {row.symbol}",
            _fmt(row.bid_size),
            Text(_fmt(row.best_bid), style="green"),
            Text(_fmt(row.best_ask), style="red"),
            _fmt(row.ask_size),
            _fmt(row.spread),
            _fmt(row.mid),
            _fmt(row.last.price if row.last else None),
            str(row.trades),
            str(row.book_seq),
        )
    trades = Table(title="Last trades", expand=True)
    for column in ("time (UTC)", "market", "side", "price", "qty"):
        trades.add_column(column)
    for t in board.recent:
        stamp = datetime.fromtimestamp(t.ts_ns / 1e9, tz=UTC).strftime("%H:%M:%S.%f")[:-3]
        style = "green" if t.taker_side is Side.BUY else "red"
        trades.add_row(
            stamp,
            f"{t.ref.category.value} {t.ref.symbol}",
            Text(t.taker_side.value, style=style),
            _fmt(t.price),
            _fmt(t.qty),
        )
    spreads = Table(title="Spreads (buy one at its ask, sell the other at its bid)", expand=True)
    for column in ("group", "buy", "sell", "bps"):
        spreads.add_column(column, justify="right" if column == "bps" else "left")
    for g in board.group_spreads():
        style = "green" if g.bps > 0 else "dim"
        spreads.add_row(
            g.group,
            f"{g.long.exchange} {g.long.category}",
            f"{g.short.exchange} {g.short.category}",
            Text(f"{g.bps:.2f}", style=style),
        )
    footer = Text(f"{board.message_rate():,.0f} msg/s   {board.messages:,} messages   {hint}", style="dim")
    parts: list[Table | Text | Panel] = [Panel(Text(title, style="bold")), markets, spreads, trades, footer]
    if board.where is not None:
        parts.append(Text(board.where(), style="dim"))
    parts.append(Text(LEGEND, style="dim"))
    return Group(*parts)


LEGEND = (
    "bid / ask: best prices, with the size resting there · spread: ask - bid · mid: (bid + ask) / 2 · "
    "last: last trade · trades: trades seen since start · book seq: the engine's book sequence · "
    "bps: (sell-side bid - buy-side ask) / buy-side ask, in basis points (> 0: a profitable cross)"
)


@contextlib.contextmanager
def _cbreak() -> Iterator[bool]:
    """Single-key input without echo when stdin is a terminal; restores the terminal on exit."""
    if not sys.stdin.isatty():
        yield False
        return
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


async def run_live_view(
    board: MarketBoard, stop: asyncio.Event, refresh_per_second: float = 4.0, *, title: str = "Tradewind (embedded)"
) -> None:
    """Redraw until ``stop`` is set or the user presses q; ``title`` heads the screen (the API's URL and token)."""
    loop = asyncio.get_running_loop()
    console = Console()
    with (
        _cbreak() as keys,
        Live(
            render(board, title), console=console, refresh_per_second=refresh_per_second, screen=False, transient=False
        ) as live,
    ):
        if keys:

            def on_key() -> None:
                if sys.stdin.read(1).lower() == "q":
                    stop.set()

            loop.add_reader(sys.stdin.fileno(), on_key)
        try:
            while not stop.is_set():
                live.update(render(board, title))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1 / refresh_per_second)
        finally:
            if keys:
                loop.remove_reader(sys.stdin.fileno())
