"""One read-only DB-API connection to the configured database, opened only when its schema is at head."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradewind.adapters.store.settings import HEAD_REVISION, DatabaseDown, StoreSettings, first_line

if TYPE_CHECKING:
    import psycopg

# The URL forms read here; any other (a query string, :memory:, another driver) is left to SQLAlchemy.
_SQLITE = re.compile(r"^sqlite(\+pysqlite)?:///(?P<path>[^?%~]+)$")
_POSTGRES = "postgresql+psycopg://"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")  # as Database checks it (a bad one: its ConfigError)


class DbapiDatabase:
    """A read-only connection (``sqlite3`` or ``psycopg``) shared by the readers; statements run one at a time."""

    def __init__(self, backend: str, connection: sqlite3.Connection | psycopg.Connection[Any]) -> None:
        self.backend = backend
        self._conn: Any = connection  # either driver: execute(sql, params).fetchall() and close()
        self._lock = threading.Lock()  # the readers run in worker threads; a sqlite3 connection takes one at a time

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of ``sql``, written with ``?`` placeholders (turned into the driver's own)."""
        if self.backend == "sqlite":
            with self._lock:
                rows: list[tuple[Any, ...]] = self._conn.execute(sql, params).fetchall()
                return rows
        import psycopg

        try:
            with self._lock:
                rows = self._conn.execute(sql.replace("?", "%s"), params).fetchall()
                return rows
        except psycopg.OperationalError as exc:  # the server went away: as SQLAlchemy's Database words it
            raise DatabaseDown(first_line(exc)) from exc

    def revision(self) -> str | None:
        """The stored schema revision; None without one (or without the ``alembic_version`` table)."""
        try:
            rows = self.fetch("SELECT version_num FROM alembic_version")
        except DatabaseDown:
            raise
        except Exception:
            return None
        return str(rows[0][0]) if rows else None

    def close(self) -> None:
        self._conn.close()


def open_at_head(storage: StoreSettings, *, distributed: bool) -> DbapiDatabase | None:
    """The configured database, read-only, if its schema is at :data:`HEAD_REVISION`; else None.

    None leaves the database to SQLAlchemy's path, which migrates an embedded one that is behind or refuses with its
    own messages: ``echo``, a URL this does not read, an SQLite file that is not there (never created here),
    distributed mode on SQLite, a schema behind or ahead. A PostgreSQL server that refuses the connection is
    ``DatabaseDown``, as SQLAlchemy's path says it, without trying twice.
    """
    if storage.echo:  # SQLAlchemy's statement log was asked for: its path keeps it
        return None
    database = _connect(storage, distributed=distributed)
    if database is None:
        return None
    try:
        at_head = database.revision() == HEAD_REVISION
    except BaseException:
        database.close()
        raise
    if not at_head:
        database.close()
        return None
    return database


def _connect(storage: StoreSettings, *, distributed: bool) -> DbapiDatabase | None:
    sqlite = _SQLITE.fullmatch(storage.url)
    if sqlite is not None:
        path = Path(sqlite["path"])
        if distributed or storage.pg_schema is not None or not path.is_file():
            return None
        try:  # read-only: never creates the file, never writes (WAL was set by whoever created it)
            connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
        except sqlite3.Error:
            return None
        return DbapiDatabase("sqlite", connection)
    schema = storage.pg_schema
    if not storage.url.startswith(_POSTGRES) or (schema is not None and not _SCHEMA_NAME.fullmatch(schema)):
        return None
    if "options=" in storage.url:  # libpq options of its own: SQLAlchemy's path merges them
        return None
    import psycopg  # loaded only for a PostgreSQL URL

    options = "-cdefault_transaction_read_only=on" + ("" if schema is None else f" -csearch_path={schema}")
    try:
        server = psycopg.connect("postgresql://" + storage.url[len(_POSTGRES) :], autocommit=True, options=options)
    except psycopg.OperationalError as exc:  # refused, unknown database, bad password: the driver's words
        raise DatabaseDown(first_line(exc)) from exc
    except psycopg.Error:
        return None
    return DbapiDatabase("postgresql", server)
