"""Where the HTTP API listens and who may use it: read with the configuration, without importing FastAPI."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from tradewind.interfaces.token_file import TokenError, read_token_file

MIN_TOKEN = 16  # characters: a guessable token protects nothing
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _token_problem(token: str) -> str | None:
    """Why ``token`` cannot be a bearer token (too short, spaces, non-ASCII), or None; never repeats the token."""
    if len(token) < MIN_TOKEN:
        return f"must be at least {MIN_TOKEN} characters"
    if not all("!" <= c <= "~" for c in token):
        return "must be printable ASCII without spaces (it travels in an HTTP header)"
    return None


class HttpSettings(BaseModel):
    """Where the HTTP API listens (port 0 picks a free one) and its access rules (docs/deploy.md, "Security")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    # Required on every changing route; none: `tradewind run` generates one, a distributed gateway refuses changes.
    token: SecretStr | None = None
    token_file: Path | None = None  # a file outside the repository holding the token (read at start)
    open_reads: bool = False  # GET routes without the token even when listening beyond loopback
    allowed_hosts: tuple[str, ...] = ()  # Host header names besides loopback and http.host; "*.x.org" or "*"
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API ("https://ops.example.org")

    @field_validator("token")
    @classmethod
    def _usable_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None  # TRADEWIND_HTTP__TOKEN= (compose's "${X:-}"): unset, the safe default applies
        problem = None if value is None else _token_problem(value.get_secret_value())
        if problem:
            raise ValueError(f"the token {problem}")
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(name.strip().lower().rstrip(".") for name in value if name.strip())

    @field_validator("cors_origins")
    @classmethod
    def _named_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if origin.strip() == "*":
                raise ValueError(
                    "name each origin ('https://ops.example.org'); '*' would let any web page call the API"
                )
            if not origin.startswith(("http://", "https://")) or origin.rstrip("/").count("/") > 2:
                raise ValueError(f"an origin is a scheme and host, such as 'https://ops.example.org' (got {origin!r})")
        return tuple(origin.rstrip("/") for origin in value)

    @model_validator(mode="after")
    def _one_token_source(self) -> HttpSettings:
        if self.token is not None and self.token_file is not None:
            raise ValueError("set http.token or http.token_file, not both")
        return self

    @property
    def on_loopback(self) -> bool:
        """True when the API listens only on this machine (127.0.0.0/8, ::1 or localhost)."""
        if self.host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def configured_token(self) -> str | None:
        """``http.token``, or the content of ``http.token_file`` (stripped); None when neither is set."""
        if self.token is not None:
            return self.token.get_secret_value()
        if self.token_file is None:
            return None
        token = read_token_file(self.token_file, "http.token_file")
        problem = _token_problem(token)
        if problem:
            raise TokenError(f"http.token_file: the token in {self.token_file} {problem}")
        return token
