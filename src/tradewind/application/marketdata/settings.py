"""The ``recorder`` and ``market_data`` sections: a leaf module, so reading the configuration imports no workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ByteSize, ConfigDict, Field

from tradewind.domain.market import InstrumentRef

Kind = Literal["trade", "mid", "book", "candle"]


class RecorderSettings(BaseModel):
    """Which ``md.<kind>.#`` topics to record and how to batch them; ``queue`` makes the subscription durable."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    kinds: tuple[Kind, ...] = ("trade", "mid", "book", "candle")
    batch_size: int = Field(500, ge=1)
    flush_interval_s: float = Field(1.0, gt=0)
    max_pending: int = Field(100_000, ge=1)
    queue: str | None = None
    # Beyond max_pending, rows go to this JSON-lines file (instead of being dropped) and are written back
    # once the database answers again; bootstrap gives the recorder a spill store on it.
    spill_path: Path | None = None
    # With a durable ``queue``: a message is acknowledged only once its row is stored, so a crash (even with the
    # database down) loses nothing the broker let go; the broker, not this process, holds the backlog.
    ack_after_store: bool = True
    dump_orderbook_to_db: bool = True  # False: book snapshots are not stored (trades and mids still are)
    # Book snapshots are most of the data (about 8 GB a day at the defaults): store one per instrument at most
    # every this many seconds of the snapshots' own time (0: every one).
    book_interval_s: float = Field(0.0, ge=0, le=86_400)
    # What `tradewind db prune` keeps of book snapshots and mids (None: no limit): by age, and by their estimated
    # bytes together ("2GB", "500MiB" or a number of bytes).
    retention_hours: float | None = Field(None, gt=0, le=876_000)  # 100 years: beyond, not a date any more
    retention_max_bytes: ByteSize | None = Field(None, gt=0)
    retention_check_s: float = Field(600.0, gt=0)  # with either limit set, the running system prunes this often
    dump_orders_to_db: bool = False  # True: ``order.event`` (our orders' states and fills) goes to the orders table


class MarketDataSettings(BaseModel):
    """Collector behaviour: default depth, resync backoff, staleness, and what to subscribe at start."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    depth: int = Field(50, ge=1, le=1000)
    stale_after_s: float = Field(5.0, gt=0)
    reconnect_min_s: float = Field(0.05, gt=0)
    reconnect_max_s: float = Field(5.0, gt=0)
    publish_mid: bool = True
    subscriptions: tuple[InstrumentRef, ...] = ()
