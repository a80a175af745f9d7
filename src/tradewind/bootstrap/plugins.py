"""Plugins named in tradewind.yaml, found through Python entry points: one loader for every group."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from tradewind.application.commands.gate import CommandGate
from tradewind.application.lifecycle import Component
from tradewind.application.plugins import FRONTENDS, FrontEndContext
from tradewind.bootstrap.platform import Platform
from tradewind.settings import ConfigError


def available(group: str) -> list[str]:
    """The names installed under the entry point ``group``, sorted."""
    return sorted({ep.name for ep in entry_points(group=group)})


def load_plugin(group: str, name: str) -> Any:
    """The object the entry point ``name`` of ``group`` names; ConfigError listing the installed names if none."""
    found = [ep for ep in entry_points(group=group) if ep.name == name]
    if not found:
        names = ", ".join(available(group)) or "none installed"
        raise ConfigError(f"no plugin {name!r} in entry point group {group!r} (available: {names})")
    try:
        return found[0].load()
    except Exception as exc:  # a broken plugin package: say which, never a traceback at start
        raise ConfigError(f"plugin {name!r} of {group!r} cannot be loaded: {type(exc).__name__}: {exc}") from None


def plugin_front_ends(platform: Platform, gate: CommandGate) -> list[Component]:
    """The front ends ``plugins.frontends`` names, each a component over the shared command gate."""
    components = []
    users = platform.settings.commands.directory()
    for entry in platform.settings.plugins.frontends:
        factory = load_plugin(FRONTENDS, entry.name)
        context = FrontEndContext(entry.source or entry.name, gate, users, platform.bus, platform.clock, entry.options)
        component = factory(context)
        if not isinstance(component, Component):
            raise ConfigError(
                f"plugin {entry.name!r} of {FRONTENDS!r} returned {type(component).__name__}, not a Component"
            )
        components.append(component)
    return components
