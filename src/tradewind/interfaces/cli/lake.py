"""``tradewind lake compact --date D``: merge the small files of a closed day of the lake."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from tradewind.interfaces.cli.exits import BAD_CONFIGURATION, fail, load, starting

lake_app = typer.Typer(
    help="The lake of market data (Parquet on a folder or an S3-compatible store).", no_args_is_help=True
)
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config file (default ./tradewind.yaml)")
]


@lake_app.command("compact")
def compact(
    day: Annotated[str, typer.Option("--date", help="The closed UTC day to compact, YYYY-MM-DD (before today)")],
    config: ConfigOption = None,
) -> None:
    """Merge each partition of a closed day into one file; readers never count a row twice meanwhile."""
    from tradewind.bootstrap.lake import compact as run_compaction

    try:
        when = date.fromisoformat(day)
    except ValueError:
        fail(f"--date: expected YYYY-MM-DD, got {day!r}", BAD_CONFIGURATION)
    today = datetime.now(UTC).date()
    if when >= today:
        fail(f"--date: {when} is not closed yet (today is {today} UTC); compact days before today", BAD_CONFIGURATION)
    settings = load(config)
    with starting(settings):
        result = run_compaction(settings, when)
    typer.echo(f"{when}: {result.files_merged} files merged into {result.partitions} ({result.rows} rows)")
