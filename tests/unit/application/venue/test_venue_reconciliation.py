"""Property: whatever orders are placed, every account's balances equal start + fills - fees, exactly."""

from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.application.venue import OrderRef, OrderRequest, SimVenue, VenueError
from tradewind.domain.values import Category, OrderType, Side

from .venue_support import START, make_venue

D = Decimal
ACCOUNTS = ("alice", "bob", "carol")

orders = st.lists(
    st.tuples(
        st.sampled_from(ACCOUNTS),
        st.sampled_from([Category.SPOT, Category.LINEAR]),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.sampled_from([OrderType.LIMIT, OrderType.LIMIT, OrderType.MARKET, None]),  # None = cancel one
        st.integers(min_value=1, max_value=300),  # qty in 0.001
        st.integers(min_value=-20, max_value=20),  # price offset in dollars around 60 000
    ),
    min_size=5,
    max_size=40,
)


def _run(venue: SimVenue, script: list[tuple[str, Category, Side, OrderType | None, int, int]]) -> None:
    for account, cat, side, kind, qty, offset in script:
        if kind is None:
            open_orders = list(venue.account(account).open_orders.values())  # type: ignore[union-attr]
            if open_orders:
                o = open_orders[qty % len(open_orders)]
                venue.cancel_order(account, OrderRef(o.category, o.symbol, o.order_id))
            continue
        price = D(60_000 + offset) if kind is OrderType.LIMIT else None
        amount = D(qty) / 1000
        if kind is OrderType.MARKET and cat is Category.SPOT and side is Side.BUY:
            amount = amount * 60_000  # the default quote-coin unit
        before = venue.wallet_view(account).coins
        try:
            venue.place_order(account, OrderRequest(cat, "BTCUSDT", side, kind, amount, price))
        except VenueError:
            assert venue.wallet_view(account).coins == before  # a refusal changes nothing


@settings(max_examples=60, deadline=None)
@given(orders)
def test_balances_equal_start_plus_fills_minus_fees(
    script: list[tuple[str, Category, Side, OrderType | None, int, int]],
) -> None:
    venue = make_venue()
    _run(venue, script)
    for name in ACCOUNTS:
        account = venue.account(name)
        assert account is not None
        expected: dict[str, D] = defaultdict(D, START)
        for e in account.executions:
            sign = 1 if e.side is Side.BUY else -1
            if e.category is Category.SPOT:
                expected["BTC"] += sign * e.exec_qty
                expected["USDT"] -= sign * e.exec_value
            else:
                expected["USDT"] += e.exec_pnl
            expected[e.fee_coin] -= e.fee
        wallet = venue.wallet_view(name)
        for coin in ("USDT", "BTC", "ETH"):
            view = wallet.coin(coin)
            assert view is not None
            assert view.balance == expected[coin], coin
        # Locks are exactly what the open spot orders still hold.
        held: dict[str, D] = defaultdict(D)
        for o in account.open_orders.values():
            held[o.lock_coin] += o.lock_left
        for coin in ("USDT", "BTC"):
            assert wallet.coin(coin).locked == held[coin]  # type: ignore[union-attr]
        # The cached margin of open orders matches a fresh computation.
        fresh = sum((account.order_margin(o) for o in account.open_orders.values()), D(0))
        assert account.order_im("USDT") == fresh
    # Linear: every execution pairs with its counterparty, so positions net to zero across accounts.
    total = sum((p.size if p.side is Side.BUY else -p.size for n in ACCOUNTS for p in venue.positions(n)), D(0))
    assert total == 0
