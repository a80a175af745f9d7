"""Settles one fill for one side: wallet transfers, fees, lock release, position change, the execution record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal, localcontext

from tradewind.application.venue.account import VenueAccount
from tradewind.application.venue.model import Execution, Order, VenueOrderStatus
from tradewind.domain.values import Category, OrderType, Side
from tradewind.domain.venue_accounts import ZERO, FeeRates, Protection, exact_context, linear_fee, spot_settlement


class Settlement:
    """Applies fills to accounts with exact Decimal arithmetic; the only place balances change on a trade."""

    def __init__(self, rates: Mapping[Category, FeeRates], exec_id: Callable[[int], str]) -> None:
        self._rates = dict(rates)
        self._exec_id = exec_id
        self._count = 0

    def fill(
        self,
        account: VenueAccount,
        order: Order,
        qty: Decimal,
        price: Decimal,
        *,
        is_maker: bool,
        maker_leaves: Decimal | None,
        trade_id: int,
        seq: int,
        now_ms: int,
    ) -> tuple[Order, Execution]:
        """Settle ``qty`` at ``price`` for ``order``; ``maker_leaves`` is the engine's count for a resting order."""
        inst = order.instrument
        rate = self._rates[inst.category].rate(is_maker)
        with localcontext(exact_context()):
            value = qty * price
            release = ZERO
            closed_size = pnl = ZERO
            if inst.category is Category.SPOT:
                s = spot_settlement(order.side, qty, price, rate, base=inst.base, quote=inst.quote)
                if order.side is Side.SELL:
                    release = qty
                elif order.order_type is OrderType.LIMIT:
                    release = qty * order.price
                else:
                    release = value
                release = min(release, order.lock_left)
                if release:
                    account.wallet.unlock(order.lock_coin, release)
                account.wallet.settle(s.pay_coin, -s.pay_amount)
                account.wallet.settle(s.receive_coin, s.receive_amount)
                account.wallet.settle(s.fee_coin, -s.fee)
                fee, fee_coin = s.fee, s.fee_coin
            else:
                record = account.position(inst.symbol, now_ms)
                pos = record.position
                outcome = pos.apply_fill(order.side, qty, price)
                fee, fee_coin = linear_fee(value, rate), inst.quote
                pos.charge_fee(fee)
                account.wallet.settle(inst.quote, outcome.realised_pnl - fee)
                closed_size, pnl = outcome.closed_qty, outcome.realised_pnl
                if (order.take_profit or order.stop_loss) and pos.side is order.side and not order.tpsl_partial:
                    pos.protection = Protection(order.take_profit, order.stop_loss)
            leaves = maker_leaves if maker_leaves is not None else order.leaves_qty - qty
            updated = replace(
                order,
                cum_exec_qty=order.cum_exec_qty + qty,
                cum_exec_value=order.cum_exec_value + value,
                cum_exec_fee=order.cum_exec_fee + fee,
                fee_coin=fee_coin,
                leaves_qty=leaves,
                status=VenueOrderStatus.PARTIALLY_FILLED if leaves else order.status,
                lock_left=order.lock_left - release,
                updated_ms=now_ms,
            )
        self._count += 1
        execution = Execution(
            exec_id=self._exec_id(self._count),
            account=account.api_key,
            order_id=order.order_id,
            order_link_id=order.order_link_id,
            category=inst.category,
            symbol=inst.symbol,
            side=order.side,
            order_type=order.order_type,
            order_price=order.price,
            order_qty=order.qty,
            leaves_qty=leaves,
            stop_kind=order.stop_kind,
            exec_price=price,
            exec_qty=qty,
            exec_value=value,
            exec_time_ms=now_ms,
            is_maker=is_maker,
            fee=fee,
            fee_rate=rate,
            fee_coin=fee_coin,
            closed_size=closed_size,
            exec_pnl=pnl,
            trade_id=trade_id,
            seq=seq,
            market_unit=order.market_unit,
        )
        return updated, execution
