"""What a plugin gets and returns: a front end (``tradewind.frontends``) or an exchange (``tradewind.exchanges``).

A user's package names a factory under one of these entry point groups; ``tradewind.yaml`` names the plugin and the
composition root loads it by name (``bootstrap/plugins.py``), so adding one never edits Tradewind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradewind.application.commands.gate import CommandGate
from tradewind.application.lifecycle import Component
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import ExchangeGateway
from tradewind.domain.command_access import UserDirectory

if TYPE_CHECKING:  # the venue and its matching engines load only where a simulated exchange runs
    from tradewind.application.venue import SimVenue

FRONTENDS = "tradewind.frontends"
EXCHANGES = "tradewind.exchanges"


@dataclass(frozen=True, slots=True)
class FrontEndContext:
    """A front end's world: submit text to ``gate`` as ``source`` (its audit name); ``users`` knows who is who."""

    source: str
    gate: CommandGate
    users: UserDirectory
    bus: Bus
    clock: Clock
    options: Mapping[str, Any]  # the plugin's own settings from tradewind.yaml


@dataclass(frozen=True, slots=True)
class ExchangeContext:
    """An exchange entry built by a plugin: its configured ``name`` and ``options``; the in-process venue if any."""

    name: str
    options: Mapping[str, Any]
    sim_account: str
    venue: SimVenue | None
    clock: Clock


FrontEndFactory = Callable[[FrontEndContext], Component]
ExchangeFactory = Callable[[ExchangeContext], ExchangeGateway]
