"""Trading fees: maker/taker rates and who pays what, in which coin, on a fill."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from tradewind.domain.values import Side
from tradewind.domain.venue_accounts.money import exact_context


@dataclass(frozen=True, slots=True)
class FeeRates:
    """Fee rates as fractions of the traded value (``0.001`` = 0.1 %); a negative maker rate is a rebate."""

    maker: Decimal
    taker: Decimal

    def rate(self, is_maker: bool) -> Decimal:
        return self.maker if is_maker else self.taker


@dataclass(frozen=True, slots=True)
class SpotSettlement:
    """The wallet changes one spot fill makes for one side: what leaves, what arrives, the fee and its coin."""

    pay_coin: str
    pay_amount: Decimal
    receive_coin: str
    receive_amount: Decimal  # before the fee
    fee_coin: str
    fee: Decimal


def spot_settlement(
    side: Side, qty: Decimal, price: Decimal, rate: Decimal, *, base: str, quote: str
) -> SpotSettlement:
    """Bybit spot charges the fee in the coin received: the base coin on a buy, the quote coin on a sell."""
    with localcontext(exact_context()):
        value = qty * price
        if side is Side.BUY:
            return SpotSettlement(quote, value, base, qty, base, qty * rate)
        return SpotSettlement(base, qty, quote, value, quote, value * rate)


def linear_fee(value: Decimal, rate: Decimal) -> Decimal:
    """Fee of a linear contract fill, in the settle coin, on its notional value."""
    with localcontext(exact_context()):
        return value * rate
