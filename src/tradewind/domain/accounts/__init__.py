"""Accounts: wallet balances with locks, linear positions, fees and margin, all in exact Decimal."""

from tradewind.domain.accounts.fees import FeeRates, SpotSettlement, linear_fee, spot_settlement
from tradewind.domain.accounts.money import ZERO, exact_context, fmt, initial_margin
from tradewind.domain.accounts.position import (
    FillOutcome,
    LinearPosition,
    PositionRuleError,
    Protection,
    StopKind,
)
from tradewind.domain.accounts.wallet import CoinBalance, InsufficientBalance, Wallet

__all__ = [
    "ZERO",
    "CoinBalance",
    "FeeRates",
    "FillOutcome",
    "InsufficientBalance",
    "LinearPosition",
    "PositionRuleError",
    "Protection",
    "SpotSettlement",
    "StopKind",
    "Wallet",
    "exact_context",
    "fmt",
    "initial_margin",
    "linear_fee",
    "spot_settlement",
]
