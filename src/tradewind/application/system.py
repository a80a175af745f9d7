"""The embedded system's report for the System panel: its runner's components and the in-memory bus's backlog."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tradewind.application.lifecycle import Runner
from tradewind.application.ports.system import QueueLag, ServiceState, SystemReport


class RunnerStatus:
    """Each component of ``runner`` is ready once started and while it reports no problem; ``backlog`` gives the
    messages waiting per bus queue. The runner is set after construction (the HTTP app is built before it)."""

    def __init__(self, backlog: Callable[[], Mapping[str, int]], runner: Runner | None = None) -> None:
        self.runner = runner
        self._backlog = backlog

    async def report(self) -> SystemReport:
        states = () if self.runner is None else tuple(
            ServiceState(name, problem is None, problem or "") for name, problem in self.runner.states().items()
        )  # fmt: skip
        queues = tuple(QueueLag(name, depth) for name, depth in sorted(self._backlog().items()))
        return SystemReport("embedded", states, queues)
