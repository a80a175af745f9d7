"""``logging.file``: JSON lines in a file that rotates by size and by age, keeping ``backups`` numbered files."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from tradewind.adapters.logging.config import configure_logging, reset_logging
from tradewind.adapters.logging.files import LogFileSettings, RotatingLogFile


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    reset_logging()


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_full_file_rotates_into_numbered_backups_and_the_oldest_are_deleted(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "tradewind.log"
    configure_logging("info", json=True, stream=open(tmp_path / "console", "w"), file=LogFileSettings(  # noqa: SIM115
        path=path, max_bytes=2048, backups=3, when="D"))  # fmt: skip
    log = structlog.get_logger("test")
    for n in range(300):
        log.info("tick", n=n, api_secret="hunter2-hunter2")
    reset_logging()
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["tradewind.log", "tradewind.log.1", "tradewind.log.2", "tradewind.log.3"]
    assert all((path.parent / name).stat().st_size <= 2048 for name in files)
    kept = [line for name in reversed(files[1:]) for line in _lines(path.parent / name)] + _lines(path)
    numbers = [line["n"] for line in kept]
    assert numbers == list(range(numbers[0], 300)) and numbers[0] > 0  # the newest, in order; older ones deleted
    assert all(line["api_secret"] != "hunter2-hunter2" for line in kept)  # masked before it reaches the file


def test_stdlib_records_reach_the_file_too(tmp_path: Path) -> None:
    path = tmp_path / "tradewind.log"
    configure_logging("info", json=True, stream=open(tmp_path / "console", "w"), file=LogFileSettings(path=path))  # noqa: SIM115
    logging.getLogger("sqlalchemy.engine").warning("from the standard library")
    reset_logging()
    (line,) = _lines(path)
    assert line["event"] == "from the standard library" and line["level"] == "warning"


def test_a_file_past_its_age_rotates_at_the_next_line(tmp_path: Path) -> None:
    path = tmp_path / "tradewind.log"
    handler = RotatingLogFile(LogFileSettings(path=path, when="H", backups=2))
    emit = lambda text: handler.handle(logging.LogRecord("t", logging.INFO, "", 0, text, None, None))  # noqa: E731
    emit("first")
    emit("second")  # within the hour: same file
    assert path.read_text() == "first\nsecond\n"
    handler.rolloverAt = 0  # the hour is over
    emit("third")
    handler.rolloverAt = 0
    emit("fourth")
    handler.rolloverAt = 0
    emit("fifth")
    handler.close()
    assert path.read_text() == "fifth\n"
    assert (tmp_path / "tradewind.log.1").read_text() == "fourth\n"
    assert (tmp_path / "tradewind.log.2").read_text() == "third\n"
    assert not (tmp_path / "tradewind.log.3").exists()  # two backups: the file with "first" was deleted
    assert handler.rolloverAt > 0  # the next age limit is computed from now


def test_file_settings_refuse_a_tiny_size_and_unknown_units() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        LogFileSettings(path=Path("x.log"), max_bytes=10)
    with pytest.raises(ValueError, match="when"):
        LogFileSettings(path=Path("x.log"), when="W9")  # type: ignore[arg-type]
