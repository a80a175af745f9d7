"""The storage workflow: the schema (only this workflow migrates it) and the recorder of md.* and order.event."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import structlog

from tradewind.adapters.store.spill_file import JsonLinesSpill
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.order_repository import SqlOrderRepository
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.application.commands.settings import JournalSettings
from tradewind.application.lifecycle import Component, sleep_unless_stopped
from tradewind.application.marketdata.recorder import MarketDataRecorder
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.bootstrap.startup import require_head, upgrade_if_behind
from tradewind.settings import Settings

if TYPE_CHECKING:
    from tradewind.adapters.store.sqlalchemy.retention import JournalCutoffs, PruneReport

log = structlog.get_logger(__name__)
_R = TypeVar("_R")


def migrations(platform: Platform) -> Component:
    """Brings the schema to the latest revision at start (``storage.migrate_on_start``)."""
    database = platform.database

    async def upgrade() -> None:
        await asyncio.to_thread(upgrade_if_behind, database, migrate=platform.settings.storage.migrate_on_start)

    return Component("migrations", upgrade)


def schema_at_head(platform: Platform) -> Component:
    """Refuses to start on a schema the storage service has not migrated yet (no concurrent DDL elsewhere)."""
    database = platform.database

    async def check() -> None:
        await asyncio.to_thread(require_head, database)

    return Component("schema", check)


def upgrade(settings: Settings) -> str:
    """``tradewind db upgrade``: the configured database migrated to the latest schema; returns its safe URL."""
    database = Database.from_settings(settings.storage)
    try:
        database.upgrade()
    finally:
        database.dispose()
    return database.safe_url


def export(settings: Settings, dest: str | Path) -> Mapping[str, int]:
    """``tradewind export-parquet``: stored market data to Parquet under ``dest`` (a folder, or ``s3://bucket/prefix``
    with the lake's endpoint and credentials), in the lake's layout; rows written by table."""
    from tradewind.adapters.store.parquet import export_parquet  # pyarrow loads for this command alone

    filesystem = None
    if str(dest).startswith("s3://"):
        from tradewind.adapters.store.lake.filesystem import open_root

        root = open_root(settings.lake, str(dest))
        dest, filesystem = root.base, root.filesystem
    database = Database.from_settings(settings.storage)
    try:
        return export_parquet(database, dest, filesystem=filesystem).rows
    finally:
        database.dispose()


def prune(
    settings: Settings, *, hours: float | None, max_bytes: int | None, journal: JournalSettings
) -> tuple[PruneReport | None, dict[str, int]]:
    """``tradewind db prune``: book snapshots and mids older than ``hours`` (wall time), then beyond ``max_bytes``
    (None when neither is set), and the rows of the command journal older than ``journal``'s limits."""
    import time

    from tradewind.adapters.store.sqlalchemy.retention import prune as prune_tables
    from tradewind.adapters.store.sqlalchemy.retention import prune_journal

    now_ns = time.time_ns()
    before_ns = None if hours is None else now_ns - round(hours * 3600 * 1e9)
    database = Database.from_settings(settings.storage)
    try:
        report = None
        if before_ns is not None or max_bytes is not None:
            report = prune_tables(database, before_ns=before_ns, max_bytes=max_bytes)
        return report, prune_journal(database, journal_cutoffs(journal, now_ns)) if journal.limited else {}
    finally:
        database.dispose()


def journal_cutoffs(journal: JournalSettings, now_ns: int) -> JournalCutoffs:
    """Each limit of ``journal`` as the time that many days before ``now_ns`` (None: no limit)."""
    from tradewind.adapters.store.sqlalchemy.retention import JournalCutoffs

    now = datetime.fromtimestamp(now_ns / 1e9, tz=UTC)

    def ago(days: float | None) -> datetime | None:
        return None if days is None else now - timedelta(days=days)

    return JournalCutoffs(ago(journal.receipts_days), ago(journal.notice_receipts_days), ago(journal.audit_days))


def recorder(platform: Platform, *, queue: str | None = None) -> tuple[MarketDataRecorder, Component]:
    """The recorder on ``queue`` (a durable work queue in distributed mode; ``None``: a fan-out subscription)."""
    settings = platform.settings.recorder
    if queue is not None:
        settings = settings.model_copy(update={"queue": queue})
    orders = SqlOrderRepository(platform.database) if settings.dump_orders_to_db else None
    spill = None if settings.spill_path is None else JsonLinesSpill(settings.spill_path)
    the_recorder = MarketDataRecorder(
        platform.bus, SqlMarketDataRepository(platform.database), platform.clock, settings, orders=orders, spill=spill
    )
    return the_recorder, Component("recorder", the_recorder.start, None, the_recorder.stop)


def retention(platform: Platform) -> list[Component]:
    """Every ``recorder.retention_check_s`` of the clock (ages count in clock time): book snapshots and mids beyond
    ``recorder.retention_hours`` or ``retention_max_bytes``, and the command journal's rows older than
    ``commands.journal``'s limits; no component when nothing is limited."""
    settings = platform.settings.recorder
    journal = platform.settings.commands.journal
    hours, max_bytes = settings.retention_hours, settings.retention_max_bytes
    market = hours is not None or max_bytes is not None
    if not market and not journal.limited:
        return []
    stopped = asyncio.Event()

    async def run() -> None:
        from tradewind.adapters.store.sqlalchemy.retention import prune as prune_tables
        from tradewind.adapters.store.sqlalchemy.retention import prune_journal

        while await sleep_unless_stopped(platform.clock, settings.retention_check_s, stopped):
            now_ns = platform.clock.now_ns()
            if market:
                before = None if hours is None else now_ns - round(hours * 3600 * 1e9)
                report = await _attempt(prune_tables, platform.database, before_ns=before, max_bytes=max_bytes)
                if report is not None:
                    log.info(
                        "retention.pruned", **report.deleted, bytes_before=report.total_before,
                        bytes_after=report.total_after,
                    )  # fmt: skip
            if journal.limited:
                deleted = await _attempt(prune_journal, platform.database, journal_cutoffs(journal, now_ns))
                if deleted is not None:
                    log.info("retention.journal_pruned", **deleted)

    async def stop() -> None:
        stopped.set()

    return [Component("retention", None, run, stop)]


async def _attempt(prune: Callable[..., _R], *args: object, **kwargs: object) -> _R | None:
    """``prune`` in a thread; None when it failed (the database may be down: the next round tries again)."""
    try:
        return await asyncio.to_thread(prune, *args, **kwargs)
    except Exception as exc:
        log.warning("retention.failed", error=str(exc))
        return None


def storage_queue(settings: Settings) -> str:
    """The storage service's durable queue: ``recorder.queue``, else ``distributed.storage_queue``."""
    return settings.recorder.queue or settings.distributed.storage_queue


def storage_service(platform: Platform) -> ServiceParts:
    """``storage``: the recorder on its durable queue (the registry puts the migrations before it), and retention."""
    queue = storage_queue(platform.settings)
    _, component = recorder(platform, queue=queue)
    return ServiceParts([component, *retention(platform)], (queue,))
