"""Slice sizes in whole lots that add up exactly to the total, slice times, and client order ids."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from tradewind.domain.ids import ClientOrderId, JobId
from tradewind.domain.ids import client_order_id as checked_client_order_id
from tradewind.domain.twap.spec import CatchUpPolicy

_CLIENT_ID = re.compile(r"^tw-([a-z0-9]{1,16})-(\d{1,5})-(\d{1,3})$")


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


def catch_up_plan(plan: Sequence[int], due: DueSlices, policy: CatchUpPolicy, seed: int) -> list[int]:
    """The plan to follow after ``due``: unchanged for catch-up, respread over the slices left for skip."""
    if not due.missed or policy is CatchUpPolicy.CATCH_UP:
        return list(plan)
    return replan_after_gap(plan, due, seed)


def slice_client_order_id(job_id: JobId, slice_index: int, attempt: int = 0) -> ClientOrderId:
    """``tw-<job>-<slice>-<attempt>``: the same inputs always give the same id, so a resend is idempotent."""
    if not 0 <= slice_index < 100_000 or not 0 <= attempt < 1000:
        raise ValueError(f"slice {slice_index} / attempt {attempt} out of range")
    return checked_client_order_id(f"tw-{job_id}-{slice_index}-{attempt}")


def parse_client_order_id(value: str) -> tuple[JobId, int, int] | None:
    """Inverse of :func:`slice_client_order_id`; None for ids TWAP did not make."""
    found = _CLIENT_ID.fullmatch(value)
    if found is None:
        return None
    return JobId(found.group(1)), int(found.group(2)), int(found.group(3))
