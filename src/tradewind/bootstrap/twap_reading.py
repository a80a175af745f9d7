"""The reading ``twap`` verbs (list, show, report, watch): the database and TWAP's reader, not the whole system.

No bus, gateway, doorbell or command service: these verbs read the jobs' tables and the log, so they start in a
fraction of the time ``build_twap`` takes and need neither a broker nor an exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradewind.adapters.logging.deferred import defer_logging
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.reader import TwapReader
from tradewind.bootstrap.common import build_clock
from tradewind.bootstrap.startup import configured_database, require_head, upgrade_if_behind
from tradewind.config import ReadingSettings


@dataclass(frozen=True, slots=True)
class TwapReading:
    """TWAP's reader and the database it reads; ``close`` disposes of the connection pool."""

    reader: TwapReader
    database: Database

    def close(self) -> None:
        self.database.dispose()


def twap_reading(settings: ReadingSettings) -> TwapReading:
    """TWAP's reader over the configured database, its schema checked; logs go to stderr.

    Logging is configured by the first record (structlog loads then): a verb that logs nothing starts quicker.

    As ``build_twap``: only the storage service migrates a distributed database; this process migrates an embedded
    one that is behind (``storage.migrate_on_start``).
    """
    defer_logging(settings.logging.level, json=settings.logging.json_output)
    distributed = settings.mode == "distributed"
    database = configured_database(settings.storage, distributed=distributed)
    try:
        if distributed:
            require_head(database)
        else:
            upgrade_if_behind(database, migrate=settings.storage.migrate_on_start)
    except BaseException:
        database.dispose()
        raise
    clock = build_clock(settings)
    journal = JobJournal(SqlLogRepository(database), clock)
    reader = TwapReader(SqlTwapRepository(database), clock, journal, SqlMarketDataRepository(database))
    return TwapReading(reader, database)
