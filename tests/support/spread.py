"""Crafted books and a wired signal + trading engine over fakes, for the spread workflow's unit tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.fakes.spread_repository import FakeSpreadRepository
from tradewind.adapters.clock import SimClock
from tradewind.application.spread.settings import SpreadSettings
from tradewind.application.spread.signal import SignalEngine
from tradewind.application.spread.trading import TradingEngine
from tradewind.domain.instruments import Instrument, default_instruments
from tradewind.domain.market import BookSnapshot, InstrumentRef, Level
from tradewind.domain.spread.groups import Pair
from tradewind.domain.values import Category

SPOT = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTCUSDT")
PERP = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTCUSDT")
LONG_SPOT = Pair(SPOT, PERP)
_INSTRUMENTS = {(i.category, i.symbol): i for i in default_instruments()}


def instrument_of(ref: InstrumentRef) -> Instrument | None:
    return _INSTRUMENTS.get((ref.category, ref.symbol))


def settings(**changes: Any) -> SpreadSettings:
    base: dict[str, Any] = {
        "fees_bps": {"spot": "0", "linear": "0"},
        "open_bps": "5",
        "close_profit_bps": "5",
        "min_hold_s": 0,
        "max_spread_qty": "1",
        "max_risk_open_position": "1000000",
        "max_total_exposure": "2000000",
    }
    return SpreadSettings.model_validate({**base, **changes})


def book(ref: InstrumentRef, bids: list[tuple[str, str]], asks: list[tuple[str, str]], seq: int = 1) -> BookSnapshot:
    def levels(raw: list[tuple[str, str]]) -> tuple[Level, ...]:
        return tuple((Decimal(p), Decimal(q)) for p, q in raw)

    return BookSnapshot(ref, seq, levels(bids), levels(asks), 0)


@dataclass
class Rig:
    clock: SimClock
    repo: FakeSpreadRepository
    trading: TradingEngine
    signal: SignalEngine

    async def books(self, spot: BookSnapshot, perp: BookSnapshot) -> None:
        self.signal.on_book(spot)
        self.signal.on_book(perp)
        await self.signal.settle()


async def rig(**changes: Any) -> Rig:
    clock = SimClock()
    repo = FakeSpreadRepository()
    config = settings(**changes)
    trading = TradingEngine(repo, clock, config)
    await trading.start()
    signal = SignalEngine(clock, config, instrument_of, trading.handle)
    await signal.start()
    return Rig(clock, repo, trading, signal)
