"""A unified wallet: per-coin balances and the part of each held by open spot orders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from tradewind.domain.venue_accounts.money import ZERO, exact_context


class InsufficientBalance(Exception):
    """A coin's available balance does not cover an amount; nothing was changed."""

    def __init__(self, coin: str, needed: Decimal, available: Decimal) -> None:
        super().__init__(f"{coin}: needs {needed}, only {available} available")
        self.coin = coin
        self.needed = needed
        self.available = available


@dataclass(frozen=True, slots=True)
class CoinBalance:
    """One coin's wallet balance and the amount locked by open spot orders."""

    coin: str
    balance: Decimal
    locked: Decimal

    @property
    def free(self) -> Decimal:
        return self.balance - self.locked


class Wallet:
    """Balances move only through ``settle`` (transfers) and ``lock``/``unlock`` (reservations), exactly."""

    def __init__(self, balances: Mapping[str, Decimal]) -> None:
        for coin, amount in balances.items():
            if amount < 0:
                raise ValueError(f"{coin}: a starting balance cannot be negative, got {amount}")
        self._balance: dict[str, Decimal] = dict(balances)
        self._locked: dict[str, Decimal] = {}

    def coins(self) -> list[str]:
        """Every coin the wallet has ever held, in first-seen order."""
        return list(self._balance)

    def balance(self, coin: str) -> Decimal:
        return self._balance.get(coin, ZERO)

    def locked(self, coin: str) -> Decimal:
        return self._locked.get(coin, ZERO)

    def free(self, coin: str) -> Decimal:
        """Balance not locked by spot orders (other reservations, such as margin, are the caller's)."""
        return self.balance(coin) - self.locked(coin)

    def snapshot(self, coin: str) -> CoinBalance:
        return CoinBalance(coin, self.balance(coin), self.locked(coin))

    def require(self, coin: str, amount: Decimal, reserved: Decimal = ZERO) -> None:
        """Raise InsufficientBalance unless ``amount`` fits in the free balance minus ``reserved``."""
        available = self.free(coin) - reserved
        if amount > available:
            raise InsufficientBalance(coin, amount, max(available, ZERO))

    def lock(self, coin: str, amount: Decimal, reserved: Decimal = ZERO) -> None:
        """Hold ``amount`` for an order; ``reserved`` is held elsewhere (e.g. margin) and is not free either."""
        if amount < 0:
            raise ValueError(f"{coin}: cannot lock a negative amount {amount}")
        self.require(coin, amount, reserved)
        with localcontext(exact_context()):
            self._locked[coin] = self.locked(coin) + amount
        self._balance.setdefault(coin, ZERO)

    def unlock(self, coin: str, amount: Decimal) -> None:
        if amount < 0 or amount > self.locked(coin):
            raise ValueError(f"{coin}: cannot unlock {amount}, {self.locked(coin)} locked")
        with localcontext(exact_context()):
            self._locked[coin] = self.locked(coin) - amount

    def settle(self, coin: str, delta: Decimal) -> None:
        """Add ``delta`` (negative to take) to the balance; may go below zero only through realised losses."""
        with localcontext(exact_context()):
            self._balance[coin] = self.balance(coin) + delta
