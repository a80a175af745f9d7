"""The trader's sync of exchange-protected deals: the gateway's fills and positions calls per look.

Run: ``.venv/bin/python -m bench.bench_trader_sync [--deals 20] [--symbols 3] [--looks 5]``. ``--deals`` linear
deals, each of its own source, spread round-robin over ``--symbols`` linear symbols (BTCUSDT, ETHUSDT, then made-up
ones) of the in-process venue (SimGateway), each protected by its own Partial TP / SL pair on the venue; the deals in
memory (``FakeDeals``). Then ``--looks`` calls of ``TraderService.sync_protected`` with no stop firing, each look's
calls of the gateway counted (a real gateway whose calls are counted, not a mock). Calls are what a venue's rate limit
counts; a ``fetch_fills`` on Bybit is one request per page of 100 fills.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.logging.config import configure_logging
from tradewind.application.trading.service import TraderService
from tradewind.application.venue import AccountSettings, OrderRequest, SimVenue, VenueSettings
from tradewind.domain.instruments import Instrument, default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.signals.signal import Action, Signal
from tradewind.domain.values import Category, OrderType, Side

D = Decimal
LINEAR = Category.LINEAR
MID = D(1000)  # every symbol's price: one book shape for all


def symbols_of(count: int) -> list[str]:
    return (["BTCUSDT", "ETHUSDT"] + [f"X{i}USDT" for i in range(count)])[:count]


def venue(clock: SimClock, symbols: list[str]) -> SimVenue:
    """Linear books around 1 000 on each symbol; a rich trader account."""
    rich = {"USDT": D(10**12)}
    accounts = tuple(AccountSettings(api_key=k, api_secret=SecretStr(k), balances=rich) for k in ("maker", "trader"))
    known = {i.symbol for i in default_instruments()}
    extra = [
        Instrument(s, LINEAR, s.removesuffix("USDT"), "USDT", D("0.1"), D("0.001"), D("0.001"), D(10**6), D(5))
        for s in symbols
        if s not in known
    ]
    engines = [MatchingEngine(i) for i in (*default_instruments(), *extra)]
    the_venue = SimVenue(engines, clock, VenueSettings(accounts=accounts))
    for symbol in symbols:
        for i in range(1, 30):
            for side, price in ((Side.SELL, MID + i), (Side.BUY, MID - i)):
                the_venue.place_order("maker", OrderRequest(LINEAR, symbol, side, OrderType.LIMIT, D(80), price))
    return the_venue


def buy(n: int, symbol: str) -> Signal:
    return Signal(f"b{n}", f"src-{n}", "sim", LINEAR, symbol, Action.BUY, D(100), None, None, 1, 0, MID, 60_000_000_000)


async def measure(deals: int, symbol_count: int, looks: int) -> tuple[list[Counter[str]], int]:
    from tests.fakes.deals import FakeDeals  # the port's in-memory implementation
    from tests.support.venue_rig import CountingGateway

    clock = SimClock()
    symbols = symbols_of(symbol_count)
    gateway = CountingGateway(venue(clock, symbols), "trader", "sim")
    bus = InMemoryBus()
    await bus.start()
    trader = TraderService(FakeDeals(), {"sim": gateway}, bus, clock)
    for n in range(deals):
        handled = await trader.handle(buy(n, symbols[n % len(symbols)]))
        assert handled.deal is not None and handled.deal.protection_orders.ids, handled
    per_look = []
    for _ in range(looks):
        gateway.calls.clear()
        await trader.sync_protected()
        per_look.append(Counter(gateway.calls))
        await clock.advance(5)
    still_open = len([d for d in await trader.deals() if d.is_open])
    await bus.close()
    return per_look, still_open


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=20)
    parser.add_argument("--symbols", type=int, default=3)
    parser.add_argument("--looks", type=int, default=5)
    args = parser.parse_args()
    configure_logging("WARNING")
    per_look, still_open = asyncio.run(measure(args.deals, args.symbols, args.looks))
    print(f"{args.deals} exchange-protected deals on {args.symbols} symbols, {still_open} open after the looks")
    for n, calls in enumerate(per_look, 1):
        print(f"look {n}: fetch_fills {calls['fetch_fills']}, fetch_positions {calls['fetch_positions']}")


if __name__ == "__main__":
    main()
