"""The reading ``twap`` verbs (list, show, report, watch): the database and TWAP's reader, not the whole system.

No bus, gateway, doorbell or command service: these verbs read the jobs' tables and the log, so they start in a
fraction of the time ``build_twap`` takes and need neither a broker nor an exchange. A schema at head is read through
the plain driver (``adapters/store/dbapi``), without importing SQLAlchemy; any other goes the SQLAlchemy way, which
migrates an embedded database that is behind and refuses the rest with its messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tradewind.adapters.logging.deferred import defer_logging
from tradewind.adapters.store.dbapi import DbapiLogReads, DbapiMidHistory, DbapiTwapReads, open_at_head
from tradewind.application.ports.clock import Clock
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.reader import TwapReader
from tradewind.bootstrap.common import build_clock
from tradewind.config import ReadingSettings


@dataclass(frozen=True, slots=True)
class TwapReading:
    """TWAP's reader and how to let go of its database (``close``: the connection or SQLAlchemy's pool)."""

    reader: TwapReader
    release: Callable[[], None]

    def close(self) -> None:
        self.release()


def twap_reading(settings: ReadingSettings) -> TwapReading:
    """TWAP's reader over the configured database, its schema checked; logs go to stderr.

    Logging is configured by the first record (structlog loads then): a verb that logs nothing starts quicker.

    As ``build_twap``: only the storage service migrates a distributed database; this process migrates an embedded
    one that is behind (``storage.migrate_on_start``).
    """
    defer_logging(settings.logging.level, json=settings.logging.json_output)
    distributed = settings.mode == "distributed"
    clock = build_clock(settings)
    direct = open_at_head(settings.storage, distributed=distributed)
    if direct is None:
        return _through_sqlalchemy(settings, clock, distributed=distributed)
    journal = JobJournal(DbapiLogReads(direct), clock)
    return TwapReading(TwapReader(DbapiTwapReads(direct), clock, journal, DbapiMidHistory(direct)), direct.close)


def _through_sqlalchemy(settings: ReadingSettings, clock: Clock, *, distributed: bool) -> TwapReading:
    """The reader over SQLAlchemy's repositories, after the schema check that may migrate or refuse."""
    from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
    from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
    from tradewind.bootstrap.startup import configured_database, require_head, upgrade_if_behind

    database = configured_database(settings.storage, distributed=distributed)
    try:
        if distributed:
            require_head(database)
        else:
            upgrade_if_behind(database, migrate=settings.storage.migrate_on_start)
    except BaseException:
        database.dispose()
        raise
    journal = JobJournal(SqlLogRepository(database), clock)
    reader = TwapReader(SqlTwapRepository(database), clock, journal, SqlMarketDataRepository(database))
    return TwapReading(reader, database.dispose)
