"""What every composition shares: the clock."""

from __future__ import annotations

from tradewind.adapters.clock import SimClock, WallClock
from tradewind.application.ports.clock import Clock
from tradewind.settings import Settings


def build_clock(settings: Settings) -> Clock:
    return SimClock() if settings.clock == "sim" else WallClock()
