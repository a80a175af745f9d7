"""The lake's writer and compactor: Parquet files on a folder or an S3-compatible bucket, each row exactly once.

Writing a batch: rows are grouped by partition, sorted by the kind's key, and every row already in an overlapping
file of the partition (by the time range its name carries) is dropped; what is left is one file named from its
first and last keys. A batch redelivered after a crash is therefore the same file, or fewer rows, never a second
copy. A file becomes visible whole: an S3 PUT is atomic, and in a folder it is written aside, fsynced and renamed.

Compaction (closed days only) merges a partition's files into one without readers ever counting a row twice:
the merged file is staged outside the table folders, a journal names it and the parts, the parts are deleted, the
merged file is moved in, the journal removed. A crash at any step leaves either the parts or (after the journal
says so) a state the next run rolls forward; a reader may miss the partition's rows for the moment between the
deletes and the move, never see both. The sink refuses (and retries later) a partition whose journal exists.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from tradewind.adapters.store.lake.filesystem import LakeRoot
from tradewind.adapters.store.lake.layout import BY_TOPIC_KIND, KINDS, FileName, LakeKind, Partition, keys, to_table
from tradewind.adapters.store.lake.layout import refusal as layout_refusal

STAGING = "_staging"  # merged files waiting to be moved in: outside every table folder, so no reader sees them
JOURNALS = "_compactions"


class PartitionBusy(RuntimeError):
    """A compaction of the partition is in progress; the write is retried later."""


@dataclass(slots=True)
class WriteStats:
    rows: int = 0
    duplicates: int = 0
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CompactionResult:
    partitions: int
    files_merged: int
    rows: int


class ParquetLake:
    """The ``LakeWriter`` port over a lake root; blocking work runs in a thread."""

    def __init__(self, root: LakeRoot) -> None:
        self.root = root
        self._fs = root.filesystem

    def refusal(self, topic_kind: str, item: Any) -> str | None:
        kind = BY_TOPIC_KIND.get(topic_kind)
        if kind is None:
            return f"the lake has no table for {topic_kind!r}"
        return layout_refusal(kind, item)

    def ping(self) -> None:
        """Raises OSError unless the lake's folder, or its bucket, exists and answers."""
        where, what = (self.root.base, "folder") if self.root.local else (self.root.base.split("/")[0], "bucket")
        if self._fs.get_file_info(where).type != pafs.FileType.Directory:
            raise OSError(f"the lake's {what} {where!r} does not exist")

    async def write(self, topic_kind: str, items: Sequence[Any]) -> int:
        stats = await asyncio.to_thread(self.write_sync, BY_TOPIC_KIND[topic_kind], items)
        return stats.rows

    def write_sync(self, kind: LakeKind, items: Sequence[Any]) -> WriteStats:
        """Write ``items`` durably, skipping rows already in the lake; returns what was written."""
        groups: dict[Partition, list[Any]] = {}
        for item in items:
            groups.setdefault(Partition.of(kind.table, item.ref, item.ts_ns), []).append(item)
        stats = WriteStats()
        for partition, rows in groups.items():
            fresh = self._without_stored(kind, partition, _unique(to_table(kind, rows), kind.key))
            stats.duplicates += len(rows) - fresh.num_rows
            if fresh.num_rows:
                name = FileName.of("part", fresh, kind.key)
                path = self.root.join(partition.path, str(name))
                self._put(path, fresh)
                stats.rows += fresh.num_rows
                stats.files.append(path)
        return stats

    def _without_stored(self, kind: LakeKind, partition: Partition, table: pa.Table) -> pa.Table:
        """``table`` less the rows whose key is in a file of the partition that overlaps its time range."""
        folder = self.root.join(partition.path)
        before = self._names(folder)
        if self._fs.get_file_info(self._journal(partition)).type != pafs.FileType.NotFound:
            raise PartitionBusy(f"{partition.path} is being compacted")
        if self._names(folder) != before:  # a compaction ran between the two listings: look again later
            raise PartitionBusy(f"{partition.path} changed while it was read")
        ts = table.column("ts").cast(pa.int64())
        first, last = pc.min(ts).as_py(), pc.max(ts).as_py()
        stored: set[tuple[Any, ...]] = set()
        for name in before:
            parsed = FileName.parse(name)
            if parsed is None or parsed.overlaps(first, last):  # a file of another writer: read it to be sure
                found = pq.read_table(f"{folder}/{name}", columns=list(kind.key), filesystem=self._fs)
                stored.update(keys(found, kind.key))
        if not stored:
            return table
        mask = pa.array([row not in stored for row in keys(table, kind.key)], pa.bool_())
        return table.filter(mask)

    def _names(self, folder: str) -> list[str]:
        infos = self._fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
        return sorted(i.base_name for i in infos if i.type == pafs.FileType.File and i.base_name.endswith(".parquet"))

    def _put(self, path: str, table: pa.Table) -> None:
        """``table`` at ``path``, visible whole or not at all, and durable when this returns."""
        if not self.root.local:
            pq.write_table(table, path, filesystem=self._fs)  # one PUT (or a completed multipart upload)
            return
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        aside = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")  # hidden from readers and globs
        pq.write_table(table, aside)
        _fsync(aside)
        os.replace(aside, target)
        _fsync(target.parent)

    # -- compaction -------------------------------------------------------------------------------------------

    def compact(self, day: date, kinds: Iterable[str] | None = None) -> CompactionResult:
        """Merge the files of every partition of ``day`` (a closed day) into one file each."""
        partitions = merged = rows = 0
        for name in kinds or KINDS:
            kind = KINDS[name]
            for partition in self._partitions(kind.table, day.isoformat()):
                self._roll_forward(partition)
                done = self._compact_partition(kind, partition)
                if done is not None:
                    partitions, merged, rows = partitions + 1, merged + done[0], rows + done[1]
        return CompactionResult(partitions, merged, rows)

    def _partitions(self, table: str, day: str) -> list[Partition]:
        found = []
        for exchange in self._dirs(self.root.join(table), "exchange="):
            for category in self._dirs(self.root.join(table, f"exchange={exchange}"), "category="):
                where = self.root.join(table, f"exchange={exchange}", f"category={category}")
                for symbol in self._dirs(where, "symbol="):
                    partition = Partition(table, exchange, category, symbol, day)
                    if self._names(self.root.join(partition.path)) or self._has_journal(partition):
                        found.append(partition)
        return found

    def _dirs(self, folder: str, prefix: str) -> list[str]:
        infos = self._fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
        return sorted(
            i.base_name.removeprefix(prefix)
            for i in infos
            if i.type == pafs.FileType.Directory and i.base_name.startswith(prefix)
        )

    def _compact_partition(self, kind: LakeKind, partition: Partition) -> tuple[int, int] | None:
        folder = self.root.join(partition.path)
        parts = self._names(folder)
        if len(parts) < 2:
            return None
        tables = [pq.read_table(f"{folder}/{name}", filesystem=self._fs, schema=kind.schema) for name in parts]
        table = pa.concat_tables(tables).sort_by([(name, "ascending") for name in kind.key])
        table = _unique(table, kind.key)
        name = str(FileName.of("compact", table, kind.key))
        staged = self.root.join(STAGING, partition.path, name)
        self._put(staged, table)
        self._put_text(self._journal(partition), json.dumps({"merged": name, "staged": staged, "parts": parts}))
        self._roll_forward(partition)
        return len(parts), table.num_rows

    def _roll_forward(self, partition: Partition) -> None:
        """Finish a compaction its journal describes: delete the parts, move the merged file in, drop the journal."""
        journal = self._journal(partition)
        if not self._has_journal(partition):
            return
        with self._fs.open_input_stream(journal) as stream:
            plan = json.loads(stream.read())
        folder = self.root.join(partition.path)
        for part in plan["parts"]:
            if part != plan["merged"]:
                _delete(self._fs, f"{folder}/{part}")
        if self._fs.get_file_info(plan["staged"]).type == pafs.FileType.File:
            self._fs.move(plan["staged"], f"{folder}/{plan['merged']}")
        self._fs.delete_file(journal)

    def _journal(self, partition: Partition) -> str:
        return self.root.join(JOURNALS, partition.path + ".json")

    def _has_journal(self, partition: Partition) -> bool:
        return bool(self._fs.get_file_info(self._journal(partition)).type == pafs.FileType.File)

    def _put_text(self, path: str, text: str) -> None:
        if self.root.local:
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            aside = target.with_name(f".{target.name}.tmp")
            aside.write_text(text, encoding="utf-8")
            _fsync(aside)
            os.replace(aside, target)
            _fsync(target.parent)
            return
        with self._fs.open_output_stream(path) as out:
            out.write(text.encode())


def _unique(table: pa.Table, key: Sequence[str]) -> pa.Table:
    """``table`` (sorted by ``key``) with one row per key (an event published twice lands once)."""
    rows = keys(table, key)
    keep = [i for i, row in enumerate(rows) if i == 0 or row != rows[i - 1]]
    return table if len(keep) == table.num_rows else table.take(pa.array(keep, pa.int64()))


def _delete(fs: pafs.FileSystem, path: str) -> None:
    if fs.get_file_info(path).type == pafs.FileType.File:
        fs.delete_file(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
