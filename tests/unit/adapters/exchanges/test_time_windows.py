"""``time_windows``: consecutive windows from ``since`` that a venue answering at most ``width`` takes, covering every
millisecond up to now once; with a skew, the last one open and begun late enough to reach past now by the skew."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from tradewind.adapters.exchanges.ccxt.gateway import time_windows

WIDTH = 7 * 86_400_000
SKEW = 3_600_000
_since = st.integers(0, 10**12)
_span = st.integers(-WIDTH, 60 * WIDTH)  # now - since: from now before since to two months on


@given(_since, _span)
def test_closed_windows_cover_since_to_now_once_each_under_the_width(since: int, span: int) -> None:
    now = since + span
    windows = time_windows(since, now, WIDTH)
    covered = [(start, end) for start, end in windows if end is not None]
    assert covered == windows
    if now < since:
        assert windows == []
        return
    assert windows[0][0] == since and windows[-1][1] == now
    assert all(end - start < WIDTH for start, end in covered)
    assert all(nxt[0] == prev[1] + 1 for prev, nxt in itertools.pairwise(covered))


@given(_since, _span)
def test_the_last_window_is_open_and_reaches_past_now_by_the_skew(since: int, span: int) -> None:
    now = since + span
    windows = time_windows(since, now, WIDTH, open_skew_ms=SKEW)
    *closed, (last_start, last_end) = windows
    assert last_end is None and last_start + WIDTH >= now + SKEW  # a lone start answers WIDTH from it
    assert windows[0][0] == since
    for (start, end), (nxt, _) in zip(closed, windows[1:], strict=True):
        assert end is not None and end - start < WIDTH and end <= now - SKEW and nxt == end + 1
    assert len(windows) <= max(span, 0) // (WIDTH - 2 * SKEW) + 2
