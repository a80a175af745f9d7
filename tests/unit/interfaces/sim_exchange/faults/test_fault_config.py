"""The ``sim_exchange.faults`` section read from YAML: the documented example loads, a bad rule is one clear line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tradewind.interfaces.sim_exchange.faults import FaultKind
from tradewind.settings import ConfigError, load_settings

DOCS = Path(__file__).parents[5] / "docs" / "sim-exchange.md"


def test_the_documented_example_loads_with_every_rule(tmp_path: Path) -> None:
    text = DOCS.read_text()
    example = re.search(r"```yaml\n(sim_exchange:\n  websocket:.*?)```", text[text.index("## Faults") :], re.S)
    assert example is not None
    settings = load_settings(_write(tmp_path / "tw.yaml", example.group(1)))
    faults = settings.sim_exchange.faults
    assert faults.seed == 19 and settings.sim_exchange.websocket.book_u_contiguous
    assert [r.kind for r in faults.rules][:2] == [FaultKind.LATENCY, FaultKind.TIMEOUT_AFTER]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{kind: meteor}", "sim_exchange.faults.rules.0.kind: Input should be 'latency'"),
        ("{kind: stall, params: {stall_s: 2}}", "stall params: stall_s: Extra inputs are not permitted"),
        ("{kind: latency, probability: 2}", "probability: Input should be less than or equal to 1"),
    ],
)
def test_a_bad_rule_in_yaml_is_a_config_error_naming_it(tmp_path: Path, rule: str, message: str) -> None:
    path = _write(tmp_path / "tw.yaml", f"sim_exchange:\n  faults:\n    rules:\n      - {rule}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
