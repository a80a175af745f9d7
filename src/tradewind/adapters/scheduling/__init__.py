"""Scheduling adapters: APScheduler behind the TWAP ``Waker`` port."""
