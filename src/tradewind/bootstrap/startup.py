"""What keeps a process from starting, as one of two errors with a one-line message the command line prints.

``ConfigError``: the configuration must change (exit code 2). ``StartupError``: a dependency is missing or
unreachable (database, broker, exchange credentials, a port), so the same configuration may start later (exit code 1).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tradewind.adapters.logging.redaction import mask_url
from tradewind.adapters.store.settings import (
    DatabaseDown,
    DatabaseUnavailable,
    StorageError,
    StoreSettings,
    first_line,
)
from tradewind.application.lifecycle import StartupError
from tradewind.application.ports.bus import BusError
from tradewind.config import ConfigError

if TYPE_CHECKING:
    from tradewind.adapters.store.sqlalchemy.database import Database
    from tradewind.config import ReadingSettings
    from tradewind.settings import Settings


@contextlib.contextmanager
def start_failures(settings: Settings | ReadingSettings) -> Iterator[None]:
    """Around building and starting a system: re-raises each known start-up failure as ConfigError or StartupError."""
    try:
        yield
    except (ConfigError, StartupError):
        raise
    except DatabaseDown as exc:  # the driver's words, as for any other SQLAlchemy error below
        raise StartupError(f"database {mask_url(settings.storage.url)}: {exc}") from exc
    except DatabaseUnavailable as exc:
        raise StartupError(f"storage.url: {exc}") from exc
    except StorageError as exc:  # the URL, the backend or the schema name
        raise ConfigError(f"storage: {exc}") from exc
    except _sqlalchemy_errors() as exc:
        cause = getattr(exc, "orig", None) or exc  # the driver's words, without SQLAlchemy's statement and link
        raise StartupError(f"database {mask_url(settings.storage.url)}: {first_line(cause)}") from exc
    except BusError as exc:
        raise StartupError(first_line(exc)) from exc
    except OSError as exc:  # a file or socket the process needs (a spill file, the doorbell)
        raise StartupError(first_line(exc)) from exc
    except (RuntimeError, ValueError) as exc:
        known = _exchange_or_keys(exc)
        if known is None:
            raise
        raise known from exc


def _sqlalchemy_errors() -> tuple[type[Exception], ...]:
    """SQLAlchemy's base error, if SQLAlchemy is loaded: a process that never imported it cannot have raised it.

    The reading ``twap`` verbs read an at-head database through the driver alone, without importing SQLAlchemy.
    """
    module = sys.modules.get("sqlalchemy.exc")
    return () if module is None else (module.SQLAlchemyError,)


def _exchange_or_keys(exc: Exception) -> ConfigError | StartupError | None:
    """An exchange that does not answer (exit 1) or its missing keys and the lake's location (configuration).

    Imported here: their modules (the exchange port's order types, the settings models) are slow to load, and the
    reading ``twap`` verbs, which reach no exchange, never raise them.
    """
    from tradewind.adapters.exchanges.settings import CredentialsError
    from tradewind.adapters.store.lake.settings import LakeLocationError
    from tradewind.application.ports.exchange import ExchangeError

    if isinstance(exc, CredentialsError | LakeLocationError):
        return ConfigError(str(exc))
    if isinstance(exc, ExchangeError):
        return StartupError(first_line(exc))
    return None


def configured_database(storage: StoreSettings, *, distributed: bool) -> Database:
    """The database of ``storage`` (not connected yet); distributed mode refuses any but PostgreSQL."""
    from tradewind.adapters.store.sqlalchemy.database import Database  # SQLAlchemy: only where it is used

    database = Database.from_settings(storage)
    if distributed and database.backend != "postgresql":
        raise ConfigError(f"distributed mode stores to PostgreSQL; storage.url is {database.safe_url!r}")
    return database


def require_head(database: Database) -> None:
    """Refuses a schema the storage service has not migrated yet (no concurrent DDL elsewhere)."""
    if database.at_head():
        return
    current, head = database.current_revision(), database.head_revision()
    if current != head:
        raise StartupError(
            f"database at revision {current!r}, not {head!r}: start the storage service (it migrates) "
            "or run `tradewind db upgrade` first"
        )


def upgrade_if_behind(database: Database, *, migrate: bool) -> None:
    """With ``migrate`` (``storage.migrate_on_start``), brings a schema that is behind to the latest revision."""
    if migrate and not database.at_head():
        database.upgrade()
