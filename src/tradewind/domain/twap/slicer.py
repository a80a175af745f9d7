"""Slice sizes in whole lots that add up exactly to the total, slice times, and client order ids."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from tradewind.domain.ids import ClientOrderId, JobId
from tradewind.domain.ids import client_order_id as checked_client_order_id
from tradewind.domain.twap.spec import CatchUpPolicy

_CLIENT_ID = re.compile(r"^tw-([a-z0-9]{1,16})(?:_([a-z0-9]{6}))?-(\d{1,5})-(\d{1,3})$")
_ORDER_TAG = re.compile(r"^[a-z0-9]{6}$")
ORDER_TAG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
ORDER_TAG_LEN = 6


def plan_lots(
    total_lots: int, slices: int, *, jitter: Decimal = Decimal(0), min_lots: int = 0, seed: int = 0
) -> list[int]:
    """Split ``total_lots`` into ``slices`` sizes summing exactly to it; the last takes the remainder.

    With ``jitter`` in [0, 1) each size is drawn within +/- jitter of the even share (seeded, so a
    restart replans the same sizes), never below ``min_lots``.
    """
    if slices < 1:
        raise ValueError(f"slices must be at least 1, got {slices}")
    if total_lots < 0:
        raise ValueError(f"total must not be negative, got {total_lots}")
    base = total_lots // slices
    rng = random.Random(seed)
    sizes: list[int] = []
    left = total_lots
    for index in range(slices - 1):
        size = base
        if jitter > 0 and base > 0:
            spread = int((Decimal(base) * jitter).to_integral_value(rounding=ROUND_FLOOR))
            size = base + rng.randint(-spread, spread)
        # Leave at least min_lots for every slice still to come, so none falls below the minimum.
        reserve = min_lots * (slices - 1 - index)
        size = max(min(size, left - reserve), min(min_lots, left))
        sizes.append(size)
        left -= size
    sizes.append(left)
    return sizes


def slice_offsets_ns(slices: int, interval_ns: int, *, jitter: Decimal = Decimal(0), seed: int = 0) -> list[int]:
    """When each slice is due, from the job's start: slice 0 at once, the rest moved by up to +/- jitter/2 interval."""
    rng = random.Random(seed ^ 0x5EED)
    offsets = [0]
    half = int(interval_ns * jitter / 2)
    for index in range(1, slices):
        shift = rng.randint(-half, half) if half else 0
        offsets.append(index * interval_ns + shift)
    return offsets


def cumulative(sizes: Sequence[int]) -> list[int]:
    """Running totals: the quantity that should be filled once each slice is done."""
    out: list[int] = []
    acc = 0
    for size in sizes:
        acc += size
        out.append(acc)
    return out


def slice_target(plan: Sequence[int], index: int, filled_lots: int) -> int:
    """Lots slice ``index`` sends: its cumulative target less what is filled, so unfilled rolls forward."""
    return max(0, sum(plan[: index + 1]) - filled_lots)


def replan_after_gap(plan: Sequence[int], due: DueSlices, seed: int) -> list[int]:
    """Skip policy: missed slices are dropped and their quantity is spread over the due slice and the rest."""
    first_missed = due.missed[0] if due.missed else due.index
    done = sum(plan[:first_missed])
    spread = plan_lots(sum(plan) - done, len(plan) - due.index, seed=seed)
    return list(plan[:first_missed]) + [0] * len(due.missed) + spread


@dataclass(frozen=True, slots=True)
class DueSlices:
    """Which slice to run now and which missed slices it stands in for."""

    index: int
    missed: tuple[int, ...]


def due_slice(offsets: Sequence[int], start_ns: int, next_index: int, now_ns: int) -> DueSlices | None:
    """The latest slice due at ``now_ns`` from ``next_index`` on, with the ones passed over; None if none is due."""
    if next_index >= len(offsets) or start_ns + offsets[next_index] > now_ns:
        return None
    latest = next_index
    while latest + 1 < len(offsets) and start_ns + offsets[latest + 1] <= now_ns:
        latest += 1
    return DueSlices(latest, tuple(range(next_index, latest)))


def catch_up_cap_lots(total_lots: int, slices: int, max_slices: float) -> int:
    """The most lots one slice's order may carry: ``max_slices`` even slices' worth (at least one lot)."""
    return max(1, math.ceil(total_lots * Decimal(str(max_slices)) / slices))


def catch_up_plan(
    plan: Sequence[int], due: DueSlices, policy: CatchUpPolicy, seed: int, cap_lots: int | None = None
) -> list[int]:
    """The plan to follow after ``due``: respread over the slices left for skip; for catch-up the due slice takes the
    missed quantity up to ``cap_lots`` and the rest is spread over the slices after it."""
    if not due.missed:
        return list(plan)
    if policy is CatchUpPolicy.SKIP:
        return replan_after_gap(plan, due, seed)
    owed = sum(plan[due.missed[0] : due.index + 1])
    now = owed if cap_lots is None else min(owed, max(cap_lots, plan[due.index]))
    later = list(plan[due.index + 1 :])
    if not later:
        now = owed  # the last slice: nothing after it to carry the rest (each order is still capped when sent)
    extra = plan_lots(owed - now, len(later), seed=seed) if later else []
    return (
        list(plan[: due.missed[0]]) + [0] * len(due.missed) + [now] + [a + b for a, b in zip(later, extra, strict=True)]
    )


def slice_client_order_id(job_id: JobId, slice_index: int, attempt: int = 0, tag: str = "") -> ClientOrderId:
    """``tw-<job>_<tag>-<slice>-<attempt>`` (at most 36 characters, Bybit's and Binance's limit).

    The same inputs always give the same id, so a resend is idempotent; the job's random ``tag`` keeps a job id
    reused on another database from meeting an earlier job's orders. Jobs stored before tags have none.
    """
    if not 0 <= slice_index < 100_000 or not 0 <= attempt < 1000:
        raise ValueError(f"slice {slice_index} / attempt {attempt} out of range")
    if tag and not _ORDER_TAG.fullmatch(tag):
        raise ValueError(f"order tag must be {ORDER_TAG_LEN} lowercase letters or digits, got {tag!r}")
    return checked_client_order_id(f"tw-{job_id}{'_' + tag if tag else ''}-{slice_index}-{attempt}")


def parse_client_order_id(value: str) -> tuple[JobId, int, int] | None:
    """Inverse of :func:`slice_client_order_id` (job, slice, attempt); None for ids TWAP did not make."""
    found = _CLIENT_ID.fullmatch(value)
    if found is None:
        return None
    return JobId(found.group(1)), int(found.group(3)), int(found.group(4))
