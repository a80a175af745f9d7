"""The slicer: exact lot sizes, rolling of unfilled quantity, catch-up policies, client order ids."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.ids import JobId
from tradewind.domain.twap.slicer import (
    DueSlices,
    catch_up_cap_lots,
    catch_up_plan,
    due_slice,
    parse_client_order_id,
    plan_lots,
    slice_client_order_id,
    slice_offsets_ns,
    slice_target,
)
from tradewind.domain.twap.spec import CatchUpPolicy


@given(
    total=st.integers(0, 10**9),
    slices=st.integers(1, 500),
    jitter=st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("0.5"), Decimal("0.9")]),
    seed=st.integers(0, 2**31),
)
def test_slice_sizes_add_up_exactly_to_the_total(total: int, slices: int, jitter: Decimal, seed: int) -> None:
    sizes = plan_lots(total, slices, jitter=jitter, seed=seed)
    assert len(sizes) == slices
    assert sum(sizes) == total
    assert all(size >= 0 for size in sizes)


@given(slices=st.integers(1, 100), min_lots=st.integers(1, 50), extra=st.integers(0, 10_000), seed=st.integers(0, 99))
def test_jittered_slices_never_fall_below_the_minimum(slices: int, min_lots: int, extra: int, seed: int) -> None:
    total = slices * min_lots + extra
    sizes = plan_lots(total, slices, jitter=Decimal("0.9"), min_lots=min_lots, seed=seed)
    assert sum(sizes) == total
    assert min(sizes) >= min_lots


def test_even_split_puts_the_remainder_in_the_last_slice() -> None:
    assert plan_lots(10, 3) == [3, 3, 4]


def test_the_same_seed_replans_the_same_sizes_after_a_restart() -> None:
    first = plan_lots(10_000, 20, jitter=Decimal("0.3"), seed=7)
    assert plan_lots(10_000, 20, jitter=Decimal("0.3"), seed=7) == first
    assert plan_lots(10_000, 20, jitter=Decimal("0.3"), seed=8) != first


def test_unfilled_quantity_rolls_into_the_next_slice() -> None:
    plan = [10, 10, 10]
    assert slice_target(plan, 0, 0) == 10
    assert slice_target(plan, 1, 4) == 16  # 6 unfilled in slice 0 come along
    assert slice_target(plan, 2, 26) == 4


def test_timing_jitter_keeps_slices_within_half_an_interval() -> None:
    offsets = slice_offsets_ns(60, 60_000, jitter=Decimal("0.5"), seed=3)
    assert offsets[0] == 0
    assert all(abs(off - i * 60_000) <= 15_000 for i, off in enumerate(offsets))
    assert offsets == sorted(offsets)


def test_due_slice_reports_the_slices_passed_over() -> None:
    offsets = [0, 10, 20, 30]
    assert due_slice(offsets, 100, 0, 99) is None
    assert due_slice(offsets, 100, 0, 100) == DueSlices(0, ())
    assert due_slice(offsets, 100, 1, 125) == DueSlices(2, (1,))
    assert due_slice(offsets, 100, 4, 10_000) is None


def test_catch_up_policy_sends_missed_quantity_at_once_when_no_cap_applies() -> None:
    plan = [10, 10, 10, 10]
    kept = catch_up_plan(plan, DueSlices(2, (1,)), CatchUpPolicy.CATCH_UP, seed=0)
    assert kept == [10, 0, 20, 10]
    assert slice_target(kept, 2, 10) == 20


def test_catch_up_beyond_the_cap_spreads_the_rest_over_the_slices_left() -> None:
    plan = [10] * 12
    due = DueSlices(8, tuple(range(1, 8)))  # seven missed slices: 80 lots owed at slice 8
    capped = catch_up_plan(plan, due, CatchUpPolicy.CATCH_UP, seed=0, cap_lots=catch_up_cap_lots(120, 12, 3.0))
    assert capped[8] == 30
    assert sum(capped) == sum(plan)
    assert sum(capped[9:]) == 80  # 30 + 50 spread over the three slices left


@given(
    plan=st.lists(st.integers(0, 1000), min_size=2, max_size=40),
    data=st.data(),
    max_slices=st.sampled_from([1.0, 2.5, 3.0, 10.0]),
)
def test_catch_up_keeps_the_total_and_caps_the_due_slice(
    plan: list[int], data: st.DataObject, max_slices: float
) -> None:
    index = data.draw(st.integers(1, len(plan) - 1))
    first = data.draw(st.integers(0, index - 1))
    cap = catch_up_cap_lots(sum(plan), len(plan), max_slices)
    out = catch_up_plan(plan, DueSlices(index, tuple(range(first, index))), CatchUpPolicy.CATCH_UP, 0, cap)
    assert sum(out) == sum(plan) and len(out) == len(plan) and min(out) >= 0
    assert out[:first] == plan[:first]
    if index < len(plan) - 1:
        assert out[index] <= max(cap, plan[index])


def test_skip_policy_spreads_missed_quantity_over_the_slices_left() -> None:
    plan = [10, 10, 10, 10]
    spread = catch_up_plan(plan, DueSlices(2, (1,)), CatchUpPolicy.SKIP, seed=0)
    assert spread == [10, 0, 15, 15]
    assert sum(spread) == sum(plan)
    assert slice_target(spread, 2, 10) == 15


def test_client_order_ids_are_deterministic_short_and_parse_back() -> None:
    job = JobId("a1b2c3d4e5f6a7b8")
    value = slice_client_order_id(job, 99_999, 999)
    assert value == slice_client_order_id(job, 99_999, 999)
    assert len(value) <= 36
    assert parse_client_order_id(value) == (job, 99_999, 999)
    assert parse_client_order_id("someone-else") is None


def test_a_tagged_client_order_id_fits_36_characters_and_parses_back() -> None:
    job = JobId("a1b2c3d4e5f6a7b8")
    value = slice_client_order_id(job, 99_999, 999, "z9y8x7")
    assert len(value) == 36
    assert value != slice_client_order_id(job, 99_999, 999, "a0a0a0") != slice_client_order_id(job, 99_999, 999)
    assert parse_client_order_id(value) == (job, 99_999, 999)
