"""Helpers shared by tests in more than one directory: waiting, logs, the Bybit-protocol server, buses."""
