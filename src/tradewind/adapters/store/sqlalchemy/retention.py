"""Retention: the bulky market data (book snapshots and mids older than a cutoff, or beyond a byte budget) and the
command journal (receipts and audit entries older than their cutoffs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Table, delete, func, select, text
from sqlalchemy.exc import OperationalError

from tradewind.adapters.store.sqlalchemy.command_tables import command_audit, command_receipts
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.tables import book_snapshots, market_mids
from tradewind.application.messages.notices import NOTICE_SOURCE

PRUNED_TABLES: tuple[Table, ...] = (book_snapshots, market_mids)
SAMPLE_ROWS = 1_000  # the newest rows whose average size stands for a table's rows where no page count is kept
_MAX_ROUNDS = 8  # page-granular sizes can leave a table just over its share after one proportional cut


@dataclass(frozen=True, slots=True)
class PruneReport:
    """Rows deleted and estimated bytes before and after, per table."""

    deleted: dict[str, int]
    bytes_before: dict[str, int]
    bytes_after: dict[str, int]

    @property
    def total_before(self) -> int:
        return sum(self.bytes_before.values())

    @property
    def total_after(self) -> int:
        return sum(self.bytes_after.values())


def prune(database: Database, *, before_ns: int | None, max_bytes: int | None) -> PruneReport:
    """Delete rows stamped before ``before_ns``, then the oldest rows until the tables hold ``max_bytes`` or less.

    The byte budget covers book snapshots and mids together; each table gives up the same share of its rows, oldest
    (lowest id) first. Trades and candles are never touched.
    """
    deleted = {t.name: 0 for t in PRUNED_TABLES}
    with database.engine.begin() as conn:
        measure = _Measure(conn)
        before = {t.name: measure(t) for t in PRUNED_TABLES}
        if before_ns is not None:
            for table in PRUNED_TABLES:
                deleted[table.name] += conn.execute(delete(table).where(table.c.ts_ns < before_ns)).rowcount or 0
        sizes = {t.name: measure(t) for t in PRUNED_TABLES} if before_ns is not None else dict(before)
        rounds = 0
        while max_bytes is not None and sum(sizes.values()) > max_bytes and rounds < _MAX_ROUNDS:
            rounds += 1
            share = max_bytes / sum(sizes.values())
            for table in PRUNED_TABLES:
                rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
                # Ids grow with arrival: keeping the highest ``keep`` ids drops the oldest rows.
                keep = min(int(rows * share), rows - 1) if rows else 0
                edge = conn.execute(select(table.c.id).order_by(table.c.id.desc()).offset(keep).limit(1)).scalar()
                if edge is not None:
                    deleted[table.name] += conn.execute(delete(table).where(table.c.id <= edge)).rowcount or 0
            sizes = {t.name: measure(t) for t in PRUNED_TABLES}
    return PruneReport(deleted, before, sizes)


@dataclass(frozen=True, slots=True)
class JournalCutoffs:
    """The command journal's rows stamped before these go (None: kept for ever): the receipts of commands, the
    receipts of notices sent to chats (``NOTICE_SOURCE``) and the audit log's entries."""

    receipts: datetime | None = None
    notices: datetime | None = None
    audit: datetime | None = None


def prune_journal(database: Database, cutoffs: JournalCutoffs) -> dict[str, int]:
    """Delete the journal's rows older than ``cutoffs``; the rows deleted of each of ``command_receipts``,
    ``notice_receipts`` and ``command_audit`` that has a cutoff."""
    receipt = command_receipts.c
    statements = {
        "command_receipts": None if cutoffs.receipts is None else delete(command_receipts).where(
            receipt.source != NOTICE_SOURCE, receipt.created < _utc(cutoffs.receipts)
        ),
        "notice_receipts": None if cutoffs.notices is None else delete(command_receipts).where(
            receipt.source == NOTICE_SOURCE, receipt.created < _utc(cutoffs.notices)
        ),
        "command_audit": None if cutoffs.audit is None else delete(command_audit).where(
            command_audit.c.at < _utc(cutoffs.audit)
        ),
    }  # fmt: skip
    with database.engine.begin() as conn:
        return {
            name: conn.execute(statement).rowcount or 0
            for name, statement in statements.items()
            if statement is not None
        }


def _utc(at: datetime) -> datetime:
    """SQLite keeps the journal's times as UTC text without an offset: a cutoff compares in UTC too."""
    return at.astimezone(UTC)


def table_bytes(database: Database) -> dict[str, int]:
    """The estimated bytes of each pruned table (with its indexes), as ``prune`` counts them."""
    with database.engine.connect() as conn:
        measure = _Measure(conn)
        return {t.name: measure(t) for t in PRUNED_TABLES}


class _Measure:
    """How one backend sizes a table: SQLite by its pages (``dbstat``), PostgreSQL by its live rows."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dbstat = conn.dialect.name == "sqlite" and _has_dbstat(conn)

    def __call__(self, table: Table) -> int:
        if self.dbstat:
            # One row per b-tree (aggregate mode): the table's and its indexes' pages, which deletes give back.
            query = "SELECT coalesce(sum(pgsize), 0) FROM dbstat('main', 1) WHERE name IN "
            query += "(SELECT name FROM sqlite_master WHERE tbl_name = :t)"
            return int(self.conn.execute(text(query), {"t": table.name}).scalar_one())
        rows = self.conn.execute(select(func.count()).select_from(table)).scalar_one()
        if not rows:
            return 0
        return round(rows * self._row_bytes(table))

    def _row_bytes(self, table: Table) -> float:
        """Average bytes of the newest rows, indexes included."""
        newest = f"(SELECT * FROM {table.name} ORDER BY id DESC LIMIT {SAMPLE_ROWS}) AS s"
        if self.conn.dialect.name == "postgresql":
            # pg_total_relation_size keeps counting deleted rows until a VACUUM FULL, so it cannot tell whether a
            # prune met the budget: the live rows are sized by pg_column_size, with the indexes' share of the heap.
            row = self.conn.execute(text(f"SELECT avg(pg_column_size(s.*)) + 4 FROM {newest}")).scalar_one()
            heap, indexes = self.conn.execute(
                text("SELECT pg_relation_size(CAST(:t AS regclass)), pg_indexes_size(CAST(:t AS regclass))"),
                {"t": table.name},
            ).one()
            return float(row) * (1 + (indexes / heap if heap else 0))
        columns = " + ".join(f"coalesce(length(CAST(s.{c.name} AS BLOB)), 0)" for c in table.columns)
        return float(self.conn.execute(text(f"SELECT avg({columns}) FROM {newest}")).scalar_one())


def _has_dbstat(conn: Connection) -> bool:
    try:
        conn.execute(text("SELECT 1 FROM dbstat('main', 1) LIMIT 1")).all()
    except OperationalError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
        return False
    return True
