"""How a command ends when it cannot do its work: one line on stderr, no traceback, and a documented exit code.

Exit code 2: the configuration (file, environment or options) must change. Exit code 1: a dependency is missing or
unreachable at start (database, broker, exchange credentials, a port in use), or a running part stopped on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:  # the verbs that only call the HTTP API never load the configuration (pydantic, SQLAlchemy)
    from tradewind.config import ReadingSettings
    from tradewind.settings import Settings

BAD_CONFIGURATION = 2
CANNOT_START = 1


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` as one red line on stderr and exit with ``code``."""
    typer.secho(" ".join(message.split()), fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load(config: Path | None, **overrides: object) -> Settings:
    """The validated settings, or exit 2 naming what is wrong."""
    from tradewind.settings import ConfigError, load_settings

    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        fail(str(exc), BAD_CONFIGURATION)


def refuse_undriven_clock(settings: Settings) -> None:
    """``clock: sim`` with nothing to move it would record nothing (``steps: 0``): exit 2 saying what to do."""
    if settings.clock == "sim" and settings.sim_speed is None:
        fail(
            "clock: sim needs something to move it: give --sim-speed N (or sim_speed: N in the config), "
            "or use `tradewind simulate --hours H` to run as fast as the machine goes",
            BAD_CONFIGURATION,
        )


@contextlib.contextmanager
def starting(settings: Settings | ReadingSettings) -> Iterator[None]:
    """Around building and starting a system: a bad configuration exits 2, a dependency that is not there exits 1."""
    from tradewind.application.lifecycle import StartupError
    from tradewind.bootstrap.startup import start_failures
    from tradewind.config import ConfigError

    try:
        with start_failures(settings):
            yield
    except ConfigError as exc:
        fail(str(exc), BAD_CONFIGURATION)
    except StartupError as exc:
        fail(f"cannot start: {exc}", CANNOT_START)
