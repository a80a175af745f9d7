"""What a Binance REST handler gets: the venue, parameters, caller, server time, order ids and the streams."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tradewind.application.venue import SimVenue
from tradewind.application.venue.account import VenueAccount
from tradewind.domain.instruments import Instrument
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange.binance_spot.errors import BinanceError, Code, illegal
from tradewind.interfaces.sim_exchange.binance_spot.ids import OrderIds
from tradewind.interfaces.sim_exchange.binance_spot.params import Params
from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings
from tradewind.interfaces.sim_exchange.binance_spot.ws_hub import StreamHub

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Call:
    venue: SimVenue
    params: Params
    account_or_none: VenueAccount | None
    now_ms: int
    ids: OrderIds
    streams: StreamHub
    settings: BinanceSpotSettings

    @property
    def account(self) -> VenueAccount:
        """The authenticated account (signed routes only)."""
        if self.account_or_none is None:
            raise BinanceError(Code.BAD_API_KEY_FMT, "this endpoint needs a signed request")
        return self.account_or_none

    def instrument(self) -> Instrument:
        """The spot instrument named by the required ``symbol``; an unknown one is -1121."""
        return self.lookup(self.params.text("symbol", required=True))

    def lookup(self, symbol: str) -> Instrument:
        for inst in self.venue.instruments(Category.SPOT):
            if inst.symbol == symbol:
                return inst
        known = ", ".join(i.symbol for i in self.venue.instruments(Category.SPOT))
        raise BinanceError(Code.BAD_SYMBOL, f"unknown spot symbol {symbol!r}; this venue trades {known}")

    def instruments(self) -> list[Instrument] | None:
        """``symbol`` (one instrument) or ``symbols`` (a JSON array) as a list; None when neither was sent."""
        p = self.params
        if "symbol" in p and "symbols" in p:
            raise BinanceError(Code.BAD_PARAM_COMBINATION, "send symbol or symbols, not both")
        if "symbol" in p:
            return [self.instrument()]
        if "symbols" not in p:
            return None
        raw = p.text("symbols")
        try:
            names = json.loads(raw)
        except ValueError as exc:
            raise illegal("symbols", '["BTCUSDT","ETHUSDT"]', f"symbols={raw!r} is not a JSON array") from exc
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise illegal("symbols", '["BTCUSDT","ETHUSDT"]', f"symbols={raw!r} is not a JSON array of names")
        return [self.lookup(n) for n in names]

    def window(self, *, max_ms: int = DAY_MS) -> tuple[int | None, int | None]:
        """``startTime`` and ``endTime``; when both are sent they may be at most ``max_ms`` apart."""
        start, end = self.params.millis("startTime"), self.params.millis("endTime")
        if start is not None and end is not None:
            if end < start:
                raise BinanceError(Code.BAD_PARAM_COMBINATION, f"endTime {end} is before startTime {start}")
            if end - start > max_ms:
                hours = max_ms // 3_600_000
                raise BinanceError(
                    Code.MORE_THAN_XX_HOURS,
                    f"endTime - startTime = {end - start} ms",
                    message=f"More than {hours} hours between startTime and endTime.",
                )
        return start, end


Handler = Callable[[Call], Any]
