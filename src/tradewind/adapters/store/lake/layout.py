"""The lake's layout: one table folder per kind, Hive partitions, and file names derived from their rows' keys.

``<root>/<table>/exchange=<x>/category=<c>/symbol=<s>/date=YYYY-MM-DD/part-<first ts>-<last ts>-<digest>.parquet``,
the same tables and columns as ``export-parquet`` (``adapters/store/parquet.py``). A file's name is a function of
its first and last row keys and its row count, so the same batch written twice is the same file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from tradewind.adapters.store.parquet import SPECS, day_of
from tradewind.domain.market import BookSnapshot, InstrumentRef, MidPrice, TradeTick

_COLUMNS = {spec.table.name: spec.columns for spec in SPECS}
_NAME = re.compile(r"^(?P<stage>part|compact)-(?P<first>\d+)-(?P<last>\d+)-(?P<digest>[0-9a-f]{16})\.parquet$")
_MAX_PLACES = 18  # decimal128(38, 18)
_MAX_INTEGER_DIGITS = 20


@dataclass(frozen=True, slots=True)
class LakeKind:
    """One kind of event in the lake: its topic kind, table folder, columns, dedup key and row builder."""

    name: str  # the ``lake.kinds`` word: md.<name>.#
    topic_kind: str
    table: str
    schema: pa.Schema
    key: tuple[str, ...]  # a row already in the lake with this key is not written again
    columns: Callable[[Any], Mapping[str, Any]]
    money: Callable[[Any], Sequence[tuple[str, Decimal]]]  # the decimals to check against decimal128(38, 18)


def _trade(t: TradeTick) -> Mapping[str, Any]:
    return {
        "ts": t.ts_ns, "trade_id": t.trade_id, "price": t.price, "qty": t.qty, "taker_side": t.taker_side.value,
        "matching_key": t.ref.matching_key,
    }  # fmt: skip


def _mid(m: MidPrice) -> Mapping[str, Any]:
    return {
        "ts": m.ts_ns, "mid": m.mid, "best_bid": m.best_bid, "best_ask": m.best_ask, "matching_key": m.ref.matching_key,
    }  # fmt: skip


def _book(b: BookSnapshot) -> Mapping[str, Any]:
    def side(levels: Sequence[tuple[Decimal, Decimal]]) -> list[dict[str, Decimal]]:
        return [{"price": p, "qty": q} for p, q in levels]

    return {"ts": b.ts_ns, "seq": b.seq, "bids": side(b.bids), "asks": side(b.asks), "matching_key": b.ref.matching_key}


def _book_money(b: BookSnapshot) -> list[tuple[str, Decimal]]:
    sides = (("bids", b.bids), ("asks", b.asks))
    return [(f"{name}[{i}]", value) for name, side in sides for i, level in enumerate(side) for value in level]


KINDS: Mapping[str, LakeKind] = {
    kind.name: kind
    for kind in (
        LakeKind(
            "trade", "md.trade", "market_trades", _COLUMNS["market_trades"], ("ts", "trade_id"), _trade,
            lambda t: (("price", t.price), ("qty", t.qty)),
        ),
        LakeKind(
            "mid", "md.mid", "market_mids", _COLUMNS["market_mids"], ("ts", "mid", "best_bid", "best_ask"), _mid,
            lambda m: (("mid", m.mid), ("best_bid", m.best_bid), ("best_ask", m.best_ask)),
        ),
        LakeKind("book", "md.book", "book_snapshots", _COLUMNS["book_snapshots"], ("ts", "seq"), _book, _book_money),
    )
}  # fmt: skip
BY_TOPIC_KIND: Mapping[str, LakeKind] = {kind.topic_kind: kind for kind in KINDS.values()}


@dataclass(frozen=True, slots=True)
class Partition:
    table: str
    exchange: str
    category: str
    symbol: str
    date: str

    @classmethod
    def of(cls, table: str, ref: InstrumentRef, ts_ns: int) -> Partition:
        return cls(table, ref.exchange, ref.category.value, ref.symbol, day_of(ts_ns))

    @property
    def path(self) -> str:
        """The partition's folder under the lake root."""
        return f"{self.table}/exchange={self.exchange}/category={self.category}/symbol={self.symbol}/date={self.date}"


@dataclass(frozen=True, slots=True)
class FileName:
    """A lake file's name: its first and last ``ts_ns`` in clear (overlap tests need no read) and a digest."""

    stage: str  # part: written by the sink; compact: a merged partition
    first_ns: int
    last_ns: int
    digest: str

    @classmethod
    def parse(cls, name: str) -> FileName | None:
        found = _NAME.match(name)
        if found is None:
            return None
        return cls(found["stage"], int(found["first"]), int(found["last"]), found["digest"])

    @classmethod
    def of(cls, stage: str, table: pa.Table, key: Sequence[str]) -> FileName:
        """The name of ``table`` (sorted by ``key``): from its first and last keys and its row count."""
        first, last = _key_at(table, key, 0), _key_at(table, key, table.num_rows - 1)
        digest = hashlib.blake2b(repr((first, last, table.num_rows)).encode(), digest_size=8).hexdigest()
        return cls(stage, int(first[0]), int(last[0]), digest)

    def __str__(self) -> str:
        return f"{self.stage}-{self.first_ns}-{self.last_ns}-{self.digest}.parquet"

    def overlaps(self, first_ns: int, last_ns: int) -> bool:
        return self.first_ns <= last_ns and first_ns <= self.last_ns


def _key_at(table: pa.Table, key: Sequence[str], row: int) -> tuple[Any, ...]:
    return tuple(_plain(table.column(name)[row]) for name in key)


def _plain(scalar: pa.Scalar) -> Any:
    if pa.types.is_timestamp(scalar.type):
        return scalar.cast(pa.int64()).as_py()  # as_py() would round to microseconds
    return scalar.as_py()


def keys(table: pa.Table, key: Sequence[str]) -> list[tuple[Any, ...]]:
    """Every row's key of ``table`` as Python values (timestamps as integer ns)."""
    columns = [
        (
            table.column(n).cast(pa.int64()) if pa.types.is_timestamp(table.schema.field(n).type) else table.column(n)
        ).to_pylist()
        for n in key
    ]
    return list(zip(*columns, strict=True))


def to_table(kind: LakeKind, items: Sequence[Any]) -> pa.Table:
    """The rows of ``items`` as one table of the kind's columns, sorted by its key."""
    rows = [kind.columns(item) for item in items]
    arrays = [pa.array([row[field.name] for row in rows], field.type) for field in kind.schema]
    table = pa.Table.from_arrays(arrays, schema=kind.schema)
    return table.sort_by([(name, "ascending") for name in kind.key])


def refusal(kind: LakeKind, item: Any) -> str | None:
    """Why ``item`` cannot be stored exactly (a decimal beyond decimal128(38, 18)), or None."""
    for name, value in kind.money(item):
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > _MAX_PLACES:
            return f"{kind.name} field {name!r} has {places} decimal places, more than {_MAX_PLACES}"
        if value.adjusted() + 1 > _MAX_INTEGER_DIGITS:
            return f"{kind.name} field {name!r} has more than {_MAX_INTEGER_DIGITS} integer digits"
    return None
