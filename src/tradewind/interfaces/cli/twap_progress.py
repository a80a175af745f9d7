"""``twap run``'s progress on stdout: one line per job (filled / total, slices done, average price, status).

On a terminal the lines redraw in place under rich's progress bars; piped or redirected, a job's line is printed
again each time it changes, so a log file shows its history. Logs go to stderr either way.
"""

from __future__ import annotations

from decimal import Decimal
from types import TracebackType

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from tradewind.application.commands import CommandService
from tradewind.domain.commands import ListTwaps, ShowTwap
from tradewind.domain.ids import JobId
from tradewind.domain.twap.job import TwapJob
from tradewind.domain.twap.report import average_price
from tradewind.interfaces.render.twap import run_line


class RunProgress:
    """Follows the jobs running when ``twap run`` starts and those created while it runs."""

    def __init__(self, commands: CommandService, console: Console | None = None) -> None:
        self._commands = commands
        self._console = console or Console()
        self._live = self._console.is_terminal
        self._bars = Progress(TextColumn("{task.description}"), BarColumn(), console=self._console)
        self._tasks: dict[JobId, TaskID] = {}
        self._lines: dict[JobId, str] = {}
        self._avg: dict[JobId, tuple[Decimal, Decimal | None]] = {}  # filled quantity -> its average price

    def __enter__(self) -> RunProgress:
        if self._live:
            self._bars.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._live:
            self._bars.stop()

    async def refresh(self) -> list[TwapJob]:
        """Draw each followed job's line; return the followed jobs (an idle run has none that is not final)."""
        followed = []
        for job in await self._commands.list_twaps(ListTwaps()):
            if job.job_id in self._lines or not job.status.is_final:
                followed.append(job)
                self._show(job, run_line(job, await self._average(job)))
        return followed

    async def _average(self, job: TwapJob) -> Decimal | None:
        known = self._avg.get(job.job_id)
        if known is not None and known[0] == job.filled_qty:
            return known[1]
        avg = average_price((await self._commands.show_twap(ShowTwap(job.job_id))).fills)
        self._avg[job.job_id] = (job.filled_qty, avg)
        return avg

    def _show(self, job: TwapJob, line: str) -> None:
        if self._lines.get(job.job_id) == line:
            return
        self._lines[job.job_id] = line
        if not self._live:
            typer.echo(line)
            return
        done = float(job.filled_qty / job.total_qty) if job.total_qty else 1.0
        task = self._tasks.get(job.job_id)
        if task is None:
            task = self._tasks[job.job_id] = self._bars.add_task(line, total=1.0)
        self._bars.update(task, description=line, completed=done)
