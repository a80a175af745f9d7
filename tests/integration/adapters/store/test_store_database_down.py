"""A PostgreSQL that refuses or drops connections raises DatabaseDown (a StoreUnavailable); other errors stay theirs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from tests.support.processes import free_port
from tradewind.adapters.store.sqlalchemy.database import Database, DatabaseDown
from tradewind.application.ports.repositories import StoreUnavailable


@pytest.fixture
def pg(postgres_url: str, pg_schema: str) -> Iterator[Database]:
    database = Database(postgres_url, schema=pg_schema)
    database.create_schema()
    yield database
    database.dispose()


def test_a_database_that_refuses_connections_is_down_not_a_driver_error() -> None:
    database = Database(f"postgresql+psycopg://tw:s3cret-pw@127.0.0.1:{free_port()}/x")
    try:
        with pytest.raises(DatabaseDown) as down:
            database.ping()
    finally:
        database.dispose()
    assert isinstance(down.value, StoreUnavailable)
    assert "Connection refused" in str(down.value) and "s3cret-pw" not in str(down.value)
    assert "\n" not in str(down.value)


def test_a_connection_the_server_drops_is_down_and_the_next_call_reconnects(pg: Database, postgres_url: str) -> None:
    with pg.engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer = Database(postgres_url)
        try:
            with killer.engine.begin() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            killer.dispose()
        with pytest.raises(DatabaseDown):
            conn.execute(text("SELECT 1"))
    pg.ping()  # the dropped connection left the pool: a new one answers


def test_a_statement_error_is_not_an_outage(pg: Database) -> None:
    with pytest.raises(ProgrammingError), pg.engine.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table"))
