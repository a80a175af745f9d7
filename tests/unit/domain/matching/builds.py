"""The two builds of the matching core side by side: as installed (mypyc when compiled) and from its .py source."""

from __future__ import annotations

import pytest

from tradewind.domain.matching import KERNEL, MatchingEngine, kernel

PureMatchingEngine: type[MatchingEngine] = kernel.load_source("tests_pure_matching")["engine"].MatchingEngine

# Parametrize a test over both: ``@pytest.mark.parametrize("engine_class", BUILDS)``.
BUILDS = [
    pytest.param(MatchingEngine, id=f"installed-{KERNEL.replace(' ', '-')}"),
    pytest.param(PureMatchingEngine, id="pure-source"),
]
