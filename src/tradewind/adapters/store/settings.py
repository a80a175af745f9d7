"""The storage settings, the schema revision this package expects and the storage errors, without SQLAlchemy.

The reading ``twap`` verbs load their settings and read the database through the driver (``dbapi/``) without
importing SQLAlchemy; ``sqlalchemy/database.py`` re-exports all of this where it has always been imported from.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tradewind.adapters.logging.redaction import mask_url
from tradewind.application.ports.repositories import StoreUnavailable

DEFAULT_URL = "sqlite:///data/tradewind.db"
HEAD_REVISION = "0022_command_receipts_created"  # the newest migration's id: bump with each one (a test checks it)


class StoreSettings(BaseModel):
    """Where the data lives: ``url`` is a SQLAlchemy URL, ``pg_schema`` an optional PostgreSQL schema."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = DEFAULT_URL
    pg_schema: str | None = None
    migrate_on_start: bool = True
    echo: bool = False


class StorageError(RuntimeError):
    """The database cannot be opened, migrated or used as configured."""


class DatabaseUnavailable(StorageError):
    """The configuration is right but the database cannot be reached or created now (an SQLite folder not writable)."""


class DatabaseDown(DatabaseUnavailable, StoreUnavailable):
    """PostgreSQL refused a connection or dropped one: the server is down or restarting; the message is the driver's."""


def first_line(exc: BaseException) -> str:
    """The first non-blank line of ``exc``'s message (the driver's words), any password in it masked."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return mask_url(lines[0] if lines else type(exc).__name__)
