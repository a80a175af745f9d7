"""The replay guard: a signature is accepted once while its window is open, and forgotten after."""

from hypothesis import given
from hypothesis import strategies as st

from tradewind.interfaces.sim_exchange.replay import ReplayGuard


def test_a_signature_is_refused_while_its_window_is_open_and_forgotten_after() -> None:
    guard = ReplayGuard()
    assert guard.first_use("k", "sig", valid_until_ms=1_000, now_ms=0)
    assert not guard.first_use("k", "sig", valid_until_ms=1_000, now_ms=1_000)
    assert guard.first_use("other-key", "sig", valid_until_ms=1_000, now_ms=10)  # per key
    assert guard.first_use("k", "fresh", valid_until_ms=2_000, now_ms=1_001)
    assert guard.remembered("k") == 1  # "sig" left once its window closed


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 100)), max_size=300))
def test_memory_per_key_stays_within_its_bound(uses: list[tuple[int, int]]) -> None:
    guard = ReplayGuard(per_key=20)
    for n, (sign, window) in enumerate(uses):
        guard.first_use("k", f"s{sign}", valid_until_ms=n + window, now_ms=n)
        assert guard.remembered("k") <= 20
