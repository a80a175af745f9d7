"""Spread arbitrage between products of one asset: groups, opportunity maths, anti-churn, state and PnL."""
