"""Per-exchange configuration (the ``exchanges`` section) and API credentials from the environment or a secrets file.

Keys are never read from the YAML: an entry names the environment variables (or a secrets file outside
the repository) that hold them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

BybitEnv = Literal["sim-server", "testnet", "demo", "mainnet"]
Api = Literal["bybit-v5", "unified"]
CategoryName = Literal["spot", "linear"]
# Protocols ``tradewind sim-exchange`` speaks: the ccxt ids an ``env: sim-server`` entry may name.
SIM_SERVER_PROTOCOLS = ("bybit", "binance")
# Keys of ``options`` that would smuggle credentials or URLs past their own settings.
_FORBIDDEN_OPTIONS = frozenset(
    {"apiKey", "secret", "password", "uid", "privateKey", "token", "twofa", "urls", "hostname"}
)


class ExchangeSettings(BaseModel):
    """One exchange entry: ``type`` is ``sim`` (in-process), ``bybit`` or any ccxt exchange id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = Field("sim", min_length=2, max_length=32, pattern=r"^[a-z0-9_]+$")
    # Built by the `tradewind.exchanges` entry point of this name (a user's package) instead of by `type`.
    plugin: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    env: BybitEnv = "testnet"  # testnet: the exchange's sandbox (ccxt set_sandbox_mode); demo: Bybit only
    url: str | None = None  # sim-server: base URL of ``tradewind sim-exchange``, e.g. http://127.0.0.1:8080
    # How orders travel: Bybit's raw V5 rows (the default for bybit) or ccxt's unified API (every other id).
    api: Api | None = None
    categories: tuple[CategoryName, ...] | None = None  # product kinds to load; default spot+linear (bybit), spot
    options: dict[str, Any] = Field(default_factory=dict)  # passed to the ccxt client's ``options``
    sim_account: str = "tradewind-demo-key"  # type sim: the venue account this entry trades
    api_key_env: str | None = None  # default TRADEWIND_<NAME>_API_KEY
    api_secret_env: str | None = None  # default TRADEWIND_<NAME>_API_SECRET
    secrets_file: Path | None = None  # YAML/JSON {name: {api_key, api_secret}}, kept outside the repository
    allow_real_orders: bool = False
    timeout_s: float = Field(10.0, gt=0, le=120)
    max_retries: int = Field(3, ge=0, le=10)
    backoff_s: float = Field(0.5, gt=0, le=60)
    # Whether book deltas' ``u`` is contiguous, so a hole is a lost delta: None = the venue's own fact (Bybit yes; the
    # sim-exchange no, unless it runs with ``sim_exchange.websocket.book_u_contiguous: true``: then say true here).
    book_u_contiguous: bool | None = None

    @model_validator(mode="after")
    def _check(self) -> ExchangeSettings:
        if self.env == "sim-server" and self.type != "sim":
            if self.type not in SIM_SERVER_PROTOCOLS:
                raise ValueError(
                    f"env sim-server: tradewind sim-exchange speaks {', '.join(SIM_SERVER_PROTOCOLS)}, "
                    f"not {self.type!r}"
                )
            if not self.url:
                raise ValueError(
                    f"a {self.type} entry with env sim-server needs url (the tradewind sim-exchange address)"
                )
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        if self.env == "demo" and self.type not in ("bybit", "sim"):
            raise ValueError(f"env demo is Bybit's demo trading; {self.type!r} has testnet or mainnet")
        if self.api == "bybit-v5" and self.type != "bybit":
            raise ValueError(f"api bybit-v5 is for type bybit; {self.type!r} trades through api unified")
        if self.categories is not None and (not self.categories or len(set(self.categories)) != len(self.categories)):
            raise ValueError(f"categories must name each of spot and linear at most once, got {self.categories}")
        forbidden = sorted(_FORBIDDEN_OPTIONS.intersection(self.options))
        if forbidden:
            raise ValueError(f"options may not set {forbidden}: keys come from the environment, URLs from env/url")
        return self

    @property
    def is_mainnet(self) -> bool:
        return self.type != "sim" and self.env == "mainnet"

    @property
    def uses_bybit_v5(self) -> bool:
        """Orders go through Bybit's raw V5 endpoints (exact strings) rather than ccxt's unified API."""
        return self.type == "bybit" and self.api != "unified"


def _default_exchanges() -> dict[str, ExchangeSettings]:
    return {"sim": ExchangeSettings()}


class ExchangesSettings(BaseModel):
    """Every configured exchange by name; ``default`` is the one a workflow uses when none is named."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: str = "sim"
    entries: dict[str, ExchangeSettings] = Field(default_factory=_default_exchanges)

    @model_validator(mode="after")
    def _default_known(self) -> ExchangesSettings:
        if self.default not in self.entries:
            raise ValueError(f"default exchange {self.default!r} is not among {sorted(self.entries)}")
        return self


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API key pair; ``repr`` never shows the secret."""

    api_key: SecretStr
    api_secret: SecretStr


class CredentialsError(ValueError):
    """Credentials are missing or unreadable; the message names where they were looked for."""


def load_credentials(name: str, settings: ExchangeSettings, environ: Mapping[str, str] | None = None) -> Credentials:
    """Keys from the environment variables of the entry, else from its secrets file."""
    env = os.environ if environ is None else environ
    prefix = f"TRADEWIND_{name.upper().replace('-', '_')}"
    key_var = settings.api_key_env or f"{prefix}_API_KEY"
    secret_var = settings.api_secret_env or f"{prefix}_API_SECRET"
    key, secret = env.get(key_var), env.get(secret_var)
    if key and secret:
        return Credentials(SecretStr(key), SecretStr(secret))
    if settings.secrets_file is not None:
        return _from_file(name, settings.secrets_file)
    raise CredentialsError(f"exchange {name!r}: set {key_var} and {secret_var}, or secrets_file")


def _from_file(name: str, path: Path) -> Credentials:
    try:
        text = path.read_text()
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise CredentialsError(f"cannot read secrets file {path}: {exc}") from None
    entry = data.get(name) if isinstance(data, dict) else None
    if not isinstance(entry, dict) or not entry.get("api_key") or not entry.get("api_secret"):
        raise CredentialsError(f"secrets file {path} has no api_key and api_secret under {name!r}")
    return Credentials(SecretStr(str(entry["api_key"])), SecretStr(str(entry["api_secret"])))
