"""The database handle: engine setup for SQLite or PostgreSQL and programmatic Alembic migrations."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool

from tradewind.adapters.logging.redaction import mask_url
from tradewind.adapters.store.settings import (
    DEFAULT_URL,
    HEAD_REVISION,
    DatabaseDown,
    DatabaseUnavailable,
    StorageError,
    StoreSettings,
    first_line,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


__all__ = [  # settings, revision and errors live in store/settings.py (no SQLAlchemy); re-exported from here
    "DEFAULT_URL", "HEAD_REVISION", "MIGRATIONS", "Database", "DatabaseDown", "DatabaseUnavailable", "StorageError",
    "StoreSettings",
]  # fmt: skip


def _database_down(context: ExceptionContext) -> None:
    """A lost or refused PostgreSQL connection becomes DatabaseDown (a StoreUnavailable the front ends answer 503).

    The pool's own pre-ping is left alone: it handles a dead pooled connection by opening a new one.
    """
    if context.is_pre_ping:
        return
    if context.is_disconnect or isinstance(context.sqlalchemy_exception, OperationalError):
        raise DatabaseDown(first_line(context.original_exception)) from context.original_exception


class Database:
    """One SQLAlchemy engine (sqlite3 or psycopg 3) plus the migrations packaged with Tradewind.

    SQLite files get their folder created, WAL journaling and foreign keys. With ``schema`` on
    PostgreSQL every connection's search_path is that schema alone, so migrations and queries
    stay inside it (one fresh schema per test, or per tenant).
    """

    def __init__(self, url: str = DEFAULT_URL, *, schema: str | None = None, echo: bool = False) -> None:
        try:
            self.url: URL = make_url(url)
        except ArgumentError:
            raise StorageError(f"not a database URL: {mask_url(url)!r} (e.g. {DEFAULT_URL!r})") from None
        backend = self.url.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise StorageError(f"unsupported database {backend!r}: use sqlite or postgresql")
        if schema is not None:
            if backend != "postgresql":
                raise StorageError("a schema is only supported on PostgreSQL")
            if not _SCHEMA_NAME.fullmatch(schema):
                raise StorageError(f"schema name {schema!r} must match {_SCHEMA_NAME.pattern}")
        self.schema = schema
        try:
            self.engine: Engine = self._create_engine(echo)
        except ImportError as exc:  # a driver named in the URL (sqlite+aiosqlite://...) that is not installed
            raise StorageError(
                f"database driver {self.url.get_driver_name()!r} of {self.safe_url!r} is not installed "
                f"({exc.name or exc}); Tradewind's drivers: sqlite:///PATH and postgresql+psycopg://..."
            ) from None

    @classmethod
    def from_settings(cls, settings: StoreSettings) -> Database:
        return cls(settings.url, schema=settings.pg_schema, echo=settings.echo)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.url.get_backend_name()

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, for messages and logs."""
        return mask_url(self.url.render_as_string(hide_password=False))

    def __repr__(self) -> str:
        return f"Database({self.safe_url!r}, schema={self.schema!r})"

    def _create_engine(self, echo: bool) -> Engine:
        if self.backend == "postgresql":
            connect_args: dict[str, Any] = {}
            if self.schema is not None:
                connect_args["options"] = f"-csearch_path={self.schema}"
            engine = create_engine(self.url, echo=echo, pool_pre_ping=True, connect_args=connect_args)
            event.listen(engine, "handle_error", _database_down)
            return engine
        database = self.url.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        if in_memory:
            # One shared connection, or each thread would see its own empty database.
            engine = create_engine(self.url, echo=echo, poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                reason = "a file is in the way" if isinstance(exc, FileExistsError) else exc.strerror
                raise DatabaseUnavailable(f"cannot create the folder {folder} of {database}: {reason}") from exc
            engine = create_engine(self.url, echo=echo)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine

    def create_schema(self) -> None:
        """Create the configured PostgreSQL schema if it does not exist (no-op without a schema)."""
        if self.schema is not None:
            with self.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))

    def drop_schema(self) -> None:
        """Drop the configured PostgreSQL schema and everything in it (no-op without a schema)."""
        if self.schema is not None:
            with self.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))

    def alembic_config(self) -> Config:
        """An Alembic config pointing at the packaged migrations and this URL (for `command.*`)."""
        from alembic.config import Config  # Alembic loads only where a command migrates: reading settings is quick

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("path_separator", "os")
        url = self.url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Migrate to ``revision`` (head by default); creates the schema first when one is set."""
        from alembic import command

        self.create_schema()
        self._refuse_unknown_revision()
        self._migrate(lambda config: command.upgrade(config, revision))

    def _refuse_unknown_revision(self) -> None:
        """A schema written by a newer release: Alembic would stop with a traceback, this says what to do."""
        from alembic.script import ScriptDirectory
        from alembic.util import CommandError

        current = self.current_revision()
        if current is None:
            return
        try:
            ScriptDirectory.from_config(self.alembic_config()).get_revision(current)
        except CommandError:
            raise StorageError(
                f"the database is at schema revision {current!r}, which this release of Tradewind does not know "
                f"(its newest is {HEAD_REVISION!r}): run the release that wrote it, or point storage.url elsewhere"
            ) from None

    def downgrade(self, revision: str) -> None:
        """Migrate down to ``revision`` (``"base"`` removes every table)."""
        from alembic import command

        self._migrate(lambda config: command.downgrade(config, revision))

    def _migrate(self, run: Callable[[Config], None]) -> None:
        config = self.alembic_config()
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            run(config)

    def current_revision(self) -> str | None:
        """The revision the database is at, or None before the first migration."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def at_head(self) -> bool:
        """Whether the schema is at :data:`HEAD_REVISION`, by one query: a quick start need not load Alembic."""
        try:
            with self.engine.connect() as conn:
                return bool(conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION)
        except DBAPIError:  # no alembic_version table yet
            return False

    def head_revision(self) -> str:
        """The newest revision shipped with this package."""
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(self.alembic_config()).get_current_head()
        if head is None:
            raise StorageError(f"no migrations found in {MIGRATIONS}")
        return head

    def ping(self) -> None:
        """Raise unless the database answers a query now."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
