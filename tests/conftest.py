"""Root of the test suite: registers the shared fixture modules and marks tests by the directory they live in.

Everything under ``tests/integration`` is marked ``integration`` and everything under ``tests/e2e`` is marked
``e2e``, so ``make test-fast`` (``-m "not integration and not e2e and not serial"``) cannot pick up a test
that talks to a service because its file forgot a marker. ``serial`` stays explicit: only some tests restart
a shared service.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.bus",
    "tests.fixtures.s3",
    "tests.fixtures.sim_exchange",
    "tests.fixtures.store",
    "tests.fixtures.waiting",
]

_TESTS = Path(__file__).parent
_MARK_BY_DIRECTORY = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e}


@pytest.hookimpl(tryfirst=True)  # before the -m selection runs on the same hook
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not item.path.is_relative_to(_TESTS):
            continue
        mark = _MARK_BY_DIRECTORY.get(item.path.relative_to(_TESTS).parts[0])
        if mark is not None:
            item.add_marker(mark)
