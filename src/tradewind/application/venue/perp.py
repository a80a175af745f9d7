"""Each linear market's perpetual state: index and mark price, premium samples, the funding rate and its history."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from tradewind.application.venue.model import FundingRecord
from tradewind.domain.instruments import Instrument
from tradewind.domain.venue_accounts import ZERO
from tradewind.domain.venue_accounts.perp import (
    FundingParams,
    funding_rate,
    mark_price,
    next_funding_ms,
    premium_index,
)


class PerpMarket:
    """The mark follows every tick; the premium (averaged over the interval gives the rate) and the basis (its
    moving average enters the mark) are sampled less often."""

    def __init__(self, instrument: Instrument, params: FundingParams, basis_samples: int, history: int) -> None:
        self.instrument = instrument
        self.params = params
        self.premium_sum = ZERO
        self.premium_count = 0
        self.basis: deque[Decimal] = deque(maxlen=basis_samples)
        self.last_rate = ZERO  # the rate settled at the last funding time (Bybit's ``fundingRate`` until then)
        self.history: deque[FundingRecord] = deque(maxlen=history)
        self.index: Decimal | None = None
        self.mark: Decimal | None = None
        self.next_funding_ms: int | None = None
        self.next_sample_ms: int | None = None

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    def predicted_rate(self) -> Decimal:
        """The rate the next settlement would pay if it were now: from the premium averaged so far."""
        average = self.premium_sum / self.premium_count if self.premium_count else ZERO
        return funding_rate(average, self.params)

    def funding_time(self, now_ms: int) -> int:
        if self.next_funding_ms is None:
            self.next_funding_ms = next_funding_ms(now_ms, self.params.interval_ms)
        return self.next_funding_ms

    def observe(
        self,
        now_ms: int,
        index: Decimal,
        bid: Decimal | None,
        ask: Decimal | None,
        last: Decimal | None,
        *,
        sample: bool,
    ) -> None:
        """The mark price now; with ``sample``, first one premium and basis sample (a side without quotes counts
        as at the index)."""
        self.index = index
        mid = (bid + ask) / 2 if bid is not None and ask is not None else last
        if sample or not self.basis:
            premium = premium_index(bid if bid is not None else index, ask if ask is not None else index, index)
            self.premium_sum += premium
            self.premium_count += 1
            self.basis.append(mid - index if mid is not None else ZERO)
        basis = sum(self.basis, ZERO) / len(self.basis)
        left, interval = self.funding_time(now_ms) - now_ms, self.params.interval_ms
        rate = self.predicted_rate()
        self.mark = mark_price(index, rate, ms_to_funding=left, interval_ms=interval, basis=basis, last=last)

    def settle(self, ts_ms: int) -> Decimal:
        """Close the interval at ``ts_ms``: the rate it pays, recorded; the next interval starts afresh."""
        rate = self.predicted_rate()
        self.last_rate = rate
        self.history.append(FundingRecord(self.symbol, rate, ts_ms))
        self.premium_sum, self.premium_count = ZERO, 0
        self.next_funding_ms = ts_ms + self.params.interval_ms
        return rate
