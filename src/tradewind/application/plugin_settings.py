"""The ``plugins`` section: front ends loaded by name from the ``tradewind.frontends`` entry point group."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FrontEndPlugin(BaseModel):
    """One front end: the entry point's ``name``, its audit ``source`` (default the name) and its own options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    source: str | None = Field(None, pattern=r"^[a-z0-9_-]{1,32}$")
    options: dict[str, Any] = Field(default_factory=dict)


class PluginsSettings(BaseModel):
    """Plugins from a user's installed package; exchanges name theirs in ``exchanges.entries.<name>.plugin``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    frontends: tuple[FrontEndPlugin, ...] = ()
