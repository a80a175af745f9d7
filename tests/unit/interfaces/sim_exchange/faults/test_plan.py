"""The fault plan's decisions, without HTTP: matching, windows, counts, seeded replay, exact fill splits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tradewind.interfaces.sim_exchange.faults import FaultKind, FaultPlan, FaultSettings
from tradewind.interfaces.sim_exchange.faults.settings import REST_KINDS, validation_message

K = FaultKind


def plan(*rules: dict[str, Any], seed: int = 7, now_ms: int = 0) -> FaultPlan:
    return FaultPlan(FaultSettings.model_validate({"seed": seed, "rules": list(rules)}), now_ms)


def kinds(p: FaultPlan, *, account: str | None = "k1", route: str = "/v5/order/create", now_ms: int = 0) -> list[str]:
    return [h.kind.value for h in p.draw(REST_KINDS, account=account, route=route, now_ms=now_ms)]


def test_an_empty_plan_is_inactive_and_draws_nothing() -> None:
    p = FaultPlan()
    assert not p.active and not p.has_any(REST_KINDS)
    assert kinds(p) == []


def test_a_rule_matches_on_account_and_route_glob_only() -> None:
    p = plan({"kind": "server_error", "account": "k1", "route": "/v5/order/*"})
    assert p.has_any(REST_KINDS) and not p.has_any({K.DROP_DELTA})
    assert kinds(p) == ["server_error"]
    assert kinds(p, account="k2") == []
    assert kinds(p, route="/v5/market/time") == []
    assert kinds(p, account=None) == []


def test_count_limits_how_often_a_rule_fires() -> None:
    p = plan({"kind": "rate_limit", "count": 2})
    assert [kinds(p) for _ in range(4)] == [["rate_limit"], ["rate_limit"], [], []]
    assert p.describe()["rules"][0]["fired"] == 2


def test_a_window_on_the_venue_clock_and_one_for_n_seconds_from_installation() -> None:
    fixed = plan({"kind": "maintenance", "start_ms": 1000, "end_ms": 2000})
    assert [bool(kinds(fixed, now_ms=t)) for t in (999, 1000, 1999, 2000)] == [False, True, True, False]
    relative = plan({"kind": "maintenance", "for_s": 1.5}, now_ms=10_000)
    assert [bool(kinds(relative, now_ms=t)) for t in (10_000, 11_499, 11_500)] == [True, True, False]


def test_latency_kinds_draw_delays_within_their_bounds() -> None:
    fixed = plan({"kind": "latency", "params": {"ms": 40}})
    assert fixed.draw(REST_KINDS, account=None, route="/x", now_ms=0)[0].delay_ms == 40
    uniform = plan({"kind": "latency", "params": {"dist": "uniform", "ms": 10, "max_ms": 20}})
    delays = [uniform.draw(REST_KINDS, account=None, route="/x", now_ms=0)[0].delay_ms for _ in range(200)]
    assert min(delays) >= 10 and max(delays) <= 20 and len(set(delays)) > 1
    heavy = plan({"kind": "latency", "params": {"dist": "pareto", "ms": 10, "alpha": 1.1, "cap_ms": 500}})
    tail = [heavy.draw(REST_KINDS, account=None, route="/x", now_ms=0)[0].delay_ms for _ in range(2000)]
    assert min(tail) >= 10 and max(tail) == 500  # the cap bounds the tail, and the tail reaches it


def test_probability_zero_never_fires_and_one_always_does() -> None:
    p = plan({"kind": "server_error", "probability": 0}, {"kind": "rate_limit", "probability": 1})
    assert [kinds(p) for _ in range(3)] == [["rate_limit"]] * 3


def test_replace_and_clear_swap_the_rules_and_restart_the_generator() -> None:
    p = plan({"kind": "server_error", "probability": 0.5})
    first = [bool(kinds(p)) for _ in range(50)]
    p.replace(p.settings, now_ms=0)
    assert [bool(kinds(p)) for _ in range(50)] == first
    p.clear(now_ms=5)
    assert not p.active and p.describe() == {"seed": 0, "installed_ms": 5, "rules": []}


rule_st = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["latency", "server_error", "rate_limit", "timeout_after"]),
        "probability": st.floats(0, 1),
        "route": st.sampled_from(["*", "/v5/order/*", "/v5/market/*"]),
    }
)
request_st = st.tuples(st.sampled_from(["k1", "k2", None]), st.sampled_from(["/v5/order/create", "/v5/market/time"]))


@given(seed=st.integers(0, 2**32), rules=st.lists(rule_st, max_size=4), requests=st.lists(request_st, max_size=40))
def test_the_same_seed_and_requests_give_the_same_decisions(
    seed: int, rules: list[dict[str, Any]], requests: list[tuple[str | None, str]]
) -> None:
    def run() -> list[list[tuple[int, str, int]]]:
        p = plan(*rules, seed=seed)
        out = []
        for account, route in requests:
            hits = p.draw(REST_KINDS, account=account, route=route, now_ms=0)
            out.append([(h.rule, h.kind.value, h.delay_ms) for h in hits])
        return out

    assert run() == run()


@given(seed=st.integers(0, 2**32), lots=st.integers(1, 10**9), max_pieces=st.integers(2, 50))
def test_a_split_conserves_the_quantity_exactly_in_positive_pieces(seed: int, lots: int, max_pieces: int) -> None:
    p = plan(seed=seed)
    pieces = p.split(lots, max_pieces)
    assert sum(pieces) == lots and min(pieces) >= 1
    assert len(pieces) == 1 if lots == 1 else 2 <= len(pieces) <= min(max_pieces, lots)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "meteor"}, "rules.0.kind: Input should be 'latency'"),
        ({"kind": "latency", "params": {"msec": 5}}, "latency params: msec: Extra inputs are not permitted"),
        ({"kind": "clock_skew"}, "clock_skew params: skew_ms: Field required"),
        ({"kind": "latency", "params": {"dist": "uniform", "ms": 5}}, "uniform latency needs max_ms >= ms"),
        ({"kind": "server_error", "params": {"status": 404}}, "status: Input should be greater than or equal to 500"),
        ({"kind": "stall", "for_s": 1, "start_ms": 5}, "not both"),
        ({"kind": "stall", "colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_a_bad_rule_is_refused_naming_what_is_wrong(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        FaultSettings.model_validate({"rules": [rule]})
    assert message in validation_message(info.value)
    assert "\n" not in validation_message(info.value)


json_st = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
near_rule_st = st.fixed_dictionaries(
    {"kind": st.sampled_from([*(k.value for k in K), "meteor", 5])},
    optional={
        "params": st.dictionaries(st.sampled_from(["ms", "dist", "skew_ms", "status", "x\n"]), json_st, max_size=3),
        "probability": json_st,
        "count": json_st,
        "for_s": json_st,
        "route": json_st,
    },
)


@given(body=json_st | st.fixed_dictionaries({"seed": json_st, "rules": st.lists(near_rule_st | json_st, max_size=3)}))
def test_any_json_is_a_plan_or_one_line_naming_the_problem(body: Any) -> None:
    try:
        settings = FaultSettings.model_validate(body)
    except ValidationError as exc:
        message = validation_message(exc)
        assert message and "\n" not in message
    else:
        assert FaultPlan(settings).describe()["seed"] == settings.seed
