"""Example Tradewind plugins: a line-protocol front end and an exchange alias."""
