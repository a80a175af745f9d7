from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.venue_accounts import InsufficientBalance, Wallet

D = Decimal


def test_lock_beyond_free_balance_raises_and_changes_nothing() -> None:
    wallet = Wallet({"USDT": D("100")})
    wallet.lock("USDT", D("60"))
    with pytest.raises(InsufficientBalance) as info:
        wallet.lock("USDT", D("40.01"))
    assert info.value.coin == "USDT"
    assert info.value.available == D("40")
    assert (wallet.balance("USDT"), wallet.locked("USDT")) == (D("100"), D("60"))


def test_reserved_amount_counts_against_a_lock() -> None:
    wallet = Wallet({"USDT": D("100")})
    with pytest.raises(InsufficientBalance):
        wallet.lock("USDT", D("80"), reserved=D("30"))
    wallet.lock("USDT", D("70"), reserved=D("30"))
    assert wallet.free("USDT") == D("30")


def test_unlock_more_than_locked_is_refused() -> None:
    wallet = Wallet({"BTC": D("1")})
    wallet.lock("BTC", D("0.5"))
    with pytest.raises(ValueError, match="cannot unlock"):
        wallet.unlock("BTC", D("0.6"))
    assert wallet.locked("BTC") == D("0.5")


def test_negative_starting_balance_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Wallet({"USDT": D("-1")})


def test_settle_of_an_unseen_coin_creates_it() -> None:
    wallet = Wallet({"USDT": D("10")})
    wallet.settle("ETH", D("0.000000001"))
    assert wallet.balance("ETH") == D("1E-9")
    assert wallet.coins() == ["USDT", "ETH"]


amounts = st.decimals(min_value=D("0.000001"), max_value=D("1000"), places=6)


@given(st.lists(st.tuples(st.sampled_from(["lock", "unlock", "settle"]), amounts), max_size=40))
def test_free_is_always_balance_minus_locked_and_locks_never_go_negative(ops: list[tuple[str, D]]) -> None:
    wallet = Wallet({"USDT": D("500")})
    expected_balance, expected_locked = D("500"), D("0")
    for op, amount in ops:
        if op == "lock":
            try:
                wallet.lock("USDT", amount)
                expected_locked += amount
            except InsufficientBalance:
                assert amount > expected_balance - expected_locked
        elif op == "unlock":
            if amount <= expected_locked:
                wallet.unlock("USDT", amount)
                expected_locked -= amount
        else:
            wallet.settle("USDT", amount)
            expected_balance += amount
        assert wallet.balance("USDT") == expected_balance
        assert wallet.locked("USDT") == expected_locked >= 0
        assert wallet.free("USDT") == expected_balance - expected_locked
