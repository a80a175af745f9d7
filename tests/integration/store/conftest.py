"""Store fixtures: a migrated Database on SQLite (tmp file) and on PostgreSQL (a fresh schema per test).

``postgres_url`` / ``pg_schema`` are reusable: without PostgreSQL the tests that need it skip with
the reason, except under CI=true where they fail.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from support import WaitUntil
from tradewind.adapters.store.sqlalchemy.database import Database

POSTGRES_URL_ENV = "TRADEWIND_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the machine's PostgreSQL (env TRADEWIND_TEST_POSTGRES_URL overrides); skip or fail if down."""
    url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        reason = f"PostgreSQL unreachable at {engine.url.render_as_string(hide_password=True)}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL is required)")
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    """A unique schema name; the schema (if created) is dropped with everything in it afterwards."""
    name = f"tw_test_{uuid.uuid4().hex[:16]}"
    yield name
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        engine.dispose()


def make_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if backend == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'tradewind.db'}")
    return Database(request.getfixturevalue("postgres_url"), schema=request.getfixturevalue("pg_schema"))


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A Database on each backend, not migrated yet."""
    database = make_database(request.param, request, tmp_path)
    yield database
    database.dispose()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A Database on each backend, migrated to head."""
    database = make_database(request.param, request, tmp_path)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'tradewind.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def wait_until() -> WaitUntil:
    """``await wait_until(predicate, timeout=5.0)``: poll an (a)sync predicate until true, fail on timeout."""

    async def wait(predicate: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return
            if loop.time() > deadline:
                pytest.fail(f"timed out after {timeout} s waiting for {what}")
            await asyncio.sleep(0.005)

    return wait
