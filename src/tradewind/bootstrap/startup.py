"""What keeps a process from starting, as one of two errors with a one-line message the command line prints.

``ConfigError``: the configuration must change (exit code 2). ``StartupError``: a dependency is missing or
unreachable (database, broker, exchange credentials, a port), so the same configuration may start later (exit code 1).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.exc import SQLAlchemyError

from tradewind.adapters.exchanges.settings import CredentialsError
from tradewind.adapters.logging.redaction import mask_url
from tradewind.adapters.store.lake.settings import LakeLocationError
from tradewind.adapters.store.sqlalchemy.database import DatabaseDown, DatabaseUnavailable, StorageError
from tradewind.application.lifecycle import StartupError
from tradewind.application.ports.bus import BusError
from tradewind.application.ports.exchange import ExchangeError
from tradewind.settings import ConfigError, Settings


@contextlib.contextmanager
def start_failures(settings: Settings) -> Iterator[None]:
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
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc  # the driver's words, without SQLAlchemy's statement and link
        raise StartupError(f"database {mask_url(settings.storage.url)}: {_first_line(cause)}") from exc
    except (CredentialsError, LakeLocationError) as exc:  # the keys are configuration too
        raise ConfigError(str(exc)) from exc
    except (BusError, ExchangeError) as exc:
        raise StartupError(_first_line(exc)) from exc
    except OSError as exc:  # a file or socket the process needs (a spill file, the doorbell)
        raise StartupError(_first_line(exc)) from exc


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return mask_url(lines[0] if lines else type(exc).__name__)
