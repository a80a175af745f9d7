"""Who may use the HTTP API: a Host-header allowlist, the bearer token, JSON-only bodies and closed CORS.

The threat model and the settings are in docs/deploy.md ("Security of the HTTP API"). Each check is a plain ASGI
middleware, so a refused request reaches no route: its body is not even read, and nothing changes.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tradewind.domain.command_access import Role, User
from tradewind.interfaces.http.settings import LOOPBACK_NAMES, HttpSettings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a cross-site HTML form or a "simple" fetch may send without a CORS preflight.
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
OPEN_PATHS = frozenset({"/healthz"})  # liveness probes reach it by IP and carry no token; it tells nothing
SCHEME = "bearer"  # the name of the security scheme in the OpenAPI document
COMMANDS_PATH = "/commands"  # checks each command's role itself (the command gate), so any user's token passes
ADMIN = User("http", Role.ADMIN)  # who sends http.token
_WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})
_SHOWN = 60


@dataclass(frozen=True, slots=True)
class ApiAccess:
    """The rules one app enforces. ``token`` (``http.token``, the admin) and ``user_tokens`` (``commands.users``):
    with neither, every request that needs a token is refused (403), none can pass."""

    token: str | None
    reads_open: bool
    allowed_hosts: frozenset[str]
    cors_origins: tuple[str, ...] = ()
    user_tokens: Mapping[str, User] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_settings(
        cls, settings: HttpSettings, token: str | None, user_tokens: Mapping[str, User] | None = None
    ) -> ApiAccess:
        """Reads are open on loopback (or with ``open_reads``); loopback names and the bind host are always allowed."""
        bind = settings.host.lower()
        hosts = LOOPBACK_NAMES | set(settings.allowed_hosts) | ({bind} - _WILDCARD_BINDS)
        users = MappingProxyType(dict(user_tokens or {}))
        return cls(token, settings.open_reads or settings.on_loopback, frozenset(hosts), settings.cors_origins, users)

    def user_of(self, given: bytes) -> User | None:
        """Who sends the bearer token ``given``: the admin (``http.token``) or a configured user; constant time."""
        found = None
        if self.token is not None and hmac.compare_digest(given, self.token.encode()):
            found = ADMIN
        for token, user in self.user_tokens.items():
            if hmac.compare_digest(given, token.encode()) and found is None:
                found = user
        return found

    def host_allowed(self, name: str) -> bool:
        """``name`` (lower case, no port) is listed, or matches a ``*.domain`` entry, or ``*`` is listed."""
        if name in self.allowed_hosts or "*" in self.allowed_hosts:
            return True
        return any(entry.startswith("*.") and name.endswith(entry[1:]) for entry in self.allowed_hosts)

    def needs_token(self, method: str, path: str) -> bool:
        if path in OPEN_PATHS and method in SAFE_METHODS:
            return False
        return method not in SAFE_METHODS or not self.reads_open


def install_security(app: FastAPI, access: ApiAccess) -> None:
    """The checks in the order a request meets them: Host, then CORS (when origins are named), then the token."""
    app.add_middleware(BearerGuard, access=access)
    if access.cors_origins:
        # Bearer tokens, not cookies: browsers need no credentials mode, so it stays off.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(access.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
        )
    app.add_middleware(HostAllowlist, access=access)  # added last: runs first
    _declare_bearer(app, access)


def _refuse(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def host_name(header: str) -> str:
    """The host of a ``Host`` header without its port, lower case: ``[::1]:8000`` is ``::1``, ``x.org.`` ``x.org``."""
    value = header.strip().lower()
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else value[1:]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


class HostAllowlist:
    """400 for a ``Host`` header naming a host not allowed: a page on a rebound DNS name cannot reach the API."""

    def __init__(self, app: ASGIApp, access: ApiAccess) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        raw = _header(scope, b"host")
        name = host_name(raw.decode("latin-1")) if raw else ""
        if not name:
            await _refuse(400, "host not allowed: the request has no Host header")(scope, receive, send)
        elif not self.access.host_allowed(name):
            detail = f"host {_shown(name)} not allowed: add it to http.allowed_hosts if the API is reached by that name"
            await _refuse(400, detail)(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class BearerGuard:
    """``Authorization: Bearer <http.token>`` where ``ApiAccess.needs_token``; changing requests send JSON only."""

    def __init__(self, app: ASGIApp, access: ApiAccess) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        refusal = self._unauthorized(scope) if self.access.needs_token(method, path) else None
        if refusal is None and method not in SAFE_METHODS:
            refusal = _not_json(scope)
        await (refusal or self.app)(scope, receive, send)

    def _unauthorized(self, scope: Scope) -> JSONResponse | None:
        what = "this request changes something" if scope["method"] not in SAFE_METHODS else "reading beyond loopback"
        if self.access.token is None and not self.access.user_tokens:
            return _refuse(
                403,
                f"no http.token configured: {what} and this server refuses it; set TRADEWIND_HTTP__TOKEN or "
                "http.token_file and restart",
            )
        scheme, _, given = (_header(scope, b"authorization") or b"").strip().partition(b" ")
        if scheme.lower() != b"bearer" or not given.strip():
            return _refuse(
                401,
                f"{what}: send the header 'Authorization: Bearer <http.token>'",
                {"WWW-Authenticate": "Bearer"},
            )
        user = self.access.user_of(given.strip())
        if user is None:
            return _refuse(401, "the bearer token is wrong", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        changes = scope["method"] not in SAFE_METHODS and scope["path"] != COMMANDS_PATH
        if changes and not user.role.allows(Role.TRADE):
            return _refuse(403, f"{user.name} has role {user.role.value}: it may not change anything")
        scope.setdefault("state", {})["user"] = user
        return None


def _not_json(scope: Scope) -> JSONResponse | None:
    """415 for a body that is not JSON, and always for the types an HTML form can send cross-site (CSRF)."""
    content_type = _header(scope, b"content-type")
    if content_type is None:
        return None
    media = content_type.decode("latin-1").partition(";")[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return None
    length = _header(scope, b"content-length")
    has_body = _header(scope, b"transfer-encoding") is not None or length not in (None, b"0")
    if not has_body and media not in FORM_TYPES:
        return None  # an empty POST (pause, cancel) labelled by its client, e.g. application/octet-stream
    return _refuse(415, f"send the body as JSON (Content-Type: application/json), not {_shown(media)}")


def _declare_bearer(app: FastAPI, access: ApiAccess) -> None:
    """The OpenAPI document names the bearer scheme on each operation that needs it, with its 401/403 answers."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[SCHEME] = {"type": "http", "scheme": "bearer", "description": "http.token (docs/deploy.md)"}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if not access.needs_token(method.upper(), path):
                    continue
                operation["security"] = [{SCHEME: []}]
                responses = operation.setdefault("responses", {})
                responses["401"] = {"description": "the bearer token is missing or wrong"}
                responses["403"] = {"description": "no http.token configured on this server"}
                if method.upper() not in SAFE_METHODS:
                    responses["415"] = {"description": "the body is not JSON"}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
