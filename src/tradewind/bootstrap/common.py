"""What every composition shares: the clock, and how a supervised background task is restarted."""

from __future__ import annotations

from tradewind.adapters.clock import SimClock, WallClock
from tradewind.application.lifecycle import RestartPolicy
from tradewind.application.ports.clock import Clock
from tradewind.config import ProcessFields

# The background tasks that are restarted rather than ending the process (the TWAP scheduler, the simulator): a
# database or broker outage kills a tick, and the task should be back within seconds of the outage ending.
SUPERVISED = RestartPolicy(initial_s=0.5, max_s=5.0, jitter=0.2, healthy_after_s=10.0)


def build_clock(settings: ProcessFields) -> Clock:
    return SimClock() if settings.clock == "sim" else WallClock()
