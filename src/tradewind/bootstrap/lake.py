"""The lake workflow: the sink of md.* into Parquet on a folder or S3-compatible store, compaction, S3 exports.

pyarrow loads inside these functions, so a process that runs no lake (or a CLI verb) does not import it.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from typing import TYPE_CHECKING

from tradewind.application.lake.sink import LakeSink, SinkPolicy
from tradewind.application.lifecycle import Component
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.settings import Settings

if TYPE_CHECKING:
    from tradewind.adapters.store.lake.store import CompactionResult, ParquetLake


def lake_store(settings: Settings, location: str | None = None) -> ParquetLake:
    """The configured lake (or ``location``: ``s3://bucket/prefix`` or a folder) as a writer and compactor."""
    from tradewind.adapters.store.lake.filesystem import open_root
    from tradewind.adapters.store.lake.store import ParquetLake

    return ParquetLake(open_root(settings.lake, location))


def policy(settings: Settings) -> SinkPolicy:
    lake = settings.lake
    return SinkPolicy(lake.kinds, lake.queue, lake.rows_per_file, lake.roll_interval_s, lake.retry_interval_s)


def lake_sink(platform: Platform) -> tuple[LakeSink, Component]:
    """The sink on the lake's durable queue ``lake.queue`` (a work queue on the in-memory bus too)."""
    sink = LakeSink(platform.bus, lake_store(platform.settings), platform.clock, policy(platform.settings))
    return sink, Component("lake", sink.start, None, sink.stop)


def lake_components(platform: Platform) -> list[Component]:
    """The embedded system's lake: the sink when ``lake.enabled``, else nothing."""
    return [lake_sink(platform)[1]] if platform.settings.lake.enabled else []


def lake_service(platform: Platform) -> ServiceParts:
    """``lake``: the sink on its durable queue ``lake.queue``; ready while its bucket (or folder) answers."""
    store = lake_store(platform.settings)
    sink = LakeSink(platform.bus, store, platform.clock, policy(platform.settings))

    async def reachable() -> None:
        await asyncio.to_thread(store.ping)

    component = Component("lake", sink.start, None, sink.stop)
    return ServiceParts([component], (platform.settings.lake.queue,), {"lake": reachable})


def compact(settings: Settings, day: date) -> CompactionResult:
    """``tradewind lake compact --date D``: one file per partition of the closed day ``D``."""
    return lake_store(settings).compact(day, settings.lake.kinds)


def release_s3() -> None:
    """The end of a command: pyarrow's S3 client shut down if this process used it (see ``filesystem.release_s3``)."""
    module = sys.modules.get("tradewind.adapters.store.lake.filesystem")  # not loaded: S3 was never used
    if module is not None:
        module.release_s3()
