"""A process's logs: to the console, and to the logs table when ``logging.to_database`` is on and it has a database."""

from __future__ import annotations

from dataclasses import dataclass

from tradewind.adapters.logging.config import configure_logging
from tradewind.adapters.logging.sink import DbLogSink
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository
from tradewind.application.lifecycle import Component
from tradewind.bootstrap.platform import Platform


@dataclass(frozen=True, slots=True)
class DatabaseLogs:
    """The sink writing log events to the database; events logged before its writer starts wait in its buffer."""

    sink: DbLogSink

    def component(self) -> Component:
        """Writes from start to stop (put it after the migrations: the logs table must exist)."""
        return Component("log-sink", self.sink.start, None, self.sink.stop)

    def writer(self) -> Component:
        """Starts writing (put it last: once every dependency has answered, so a failed start writes nothing)."""
        return Component("log-writer", self.sink.start)

    def final_flush(self) -> Component:
        """Writes what is left once the components after it have stopped (put it early), if the writer started."""

        async def flush() -> None:
            if self.sink.running:
                await self.sink.stop()

        return Component("log-flush", None, None, flush)


def console_logs(platform: Platform, *, level: str | None = None) -> None:
    """Logs of this process to the console only (``level``: the configured one unless given)."""
    settings = platform.settings.logging
    configure_logging(level or settings.level, json=settings.json_output, file=settings.file)


def database_logs(platform: Platform, *, level: str | None = None) -> DatabaseLogs | None:
    """Logs to the console and, with ``logging.to_database``, to the platform's database; None when not there."""
    settings = platform.settings.logging
    if not settings.to_database:
        console_logs(platform, level=level)
        return None
    sink = DbLogSink(
        SqlLogRepository(platform.database),
        batch_size=settings.batch_size,
        flush_interval_s=settings.flush_interval_s,
        clock=platform.clock,
    )
    configure_logging(level or settings.level, json=settings.json_output, sink=sink, file=settings.file)
    return DatabaseLogs(sink)
