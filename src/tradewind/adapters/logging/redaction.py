"""Keeping secrets out of everything the process shows: logs, error messages and the printed configuration.

Two masks, used everywhere: :func:`mask_url` hides the password of every URL in a text, :func:`mask_secrets` the
value of every secret-named key of a mapping (at any depth, URLs inside strings too).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, MutableMapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any

MASK = "***"
SECRET_KEY = re.compile(
    r"secret|password|passwd|passphrase|api[_-]?key|access[_-]?key|private[_-]?key|token|authorization|"
    r"credential|cookie|signature|twofa",
    re.IGNORECASE,
)
# ``api_key_env: TRADEWIND_X_API_KEY`` or ``secrets_file: ~/.x.yaml`` say where a secret is, not what it is.
_WHERE_SUFFIXES = ("_env", "_file")
# ``scheme://user:password@``: the password may hold ``/`` and ``:`` (SQLAlchemy reads up to the ``@``).
_URL_PASSWORD = re.compile(r"(//[^\s:/@'\"]*:)[^\s@'\"]*@")
# ``user:password@host`` without ``//`` (a malformed URL echoed in an error), starting a word or after a ``/``.
_BARE_PASSWORD = re.compile(r"((?:^|(?<=[\s'\"(=,\[{/]))[^\s:/@'\"]*:)[^\s@/'\"]*@")
_MAX_DEPTH = 12
_SCALARS = frozenset({str, int, bool, type(None)})  # exact types: a cheap test before the ABC checks


def is_secret_key(key: object) -> bool:
    """True for keys such as ``api_secret``, ``password``, ``X-Api-Key`` or ``access_token``."""
    return isinstance(key, str) and _secret_name(key)


@lru_cache(maxsize=4096)  # log keys are a small, repeating set
def _secret_name(key: str) -> bool:
    return SECRET_KEY.search(key) is not None and not key.lower().endswith(_WHERE_SUFFIXES)


def mask_url(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***`` (``amqp://u:***@host/``)."""
    if "@" not in text:  # the common case, kept cheap: log fields pass through here
        return text
    return _BARE_PASSWORD.sub(rf"\1{MASK}@", _URL_PASSWORD.sub(rf"\1{MASK}@", text))


def mask_secrets(value: Any, _depth: int = 0) -> Any:
    """A copy of ``value`` with every secret-named key's value ``***`` and every URL's password masked, at any depth."""
    if isinstance(value, str):
        return mask_url(value)
    if _depth > _MAX_DEPTH:
        return "<too deep>"
    if isinstance(value, Mapping):
        return {k: _masked(v) if is_secret_key(k) else mask_secrets(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_secrets(v, _depth + 1) for v in value]
    return value


def _masked(value: Any) -> Any:
    """An unset secret stays visible as unset; any other value is hidden."""
    return value if value is None or value == "" else MASK


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: masks secret-named keys and URL passwords (tracebacks too) before anything renders or
    stores the event."""
    if event_dict.get("exc_info"):
        # Imported here: the masks serve processes that never load structlog (the reading `twap` verbs' settings).
        from structlog.processors import format_exc_info

        # Rendered here, so that an exception's message (a driver's URL, say) is masked like any other field.
        event_dict = format_exc_info(_logger, _method, event_dict)
    for key, value in event_dict.items():
        if is_secret_key(key):
            event_dict[key] = _masked(value)
        elif type(value) is str:
            event_dict[key] = mask_url(value)
        elif type(value) not in _SCALARS and isinstance(value, Mapping | list | tuple):
            event_dict[key] = mask_secrets(value)
    return event_dict


def json_safe(value: Any, _depth: int = 0) -> Any:
    """A JSON-compatible copy with secrets masked: Decimals and times become strings, enums their value, dataclasses
    mappings, anything else its repr."""
    if isinstance(value, str):
        return mask_url(value)
    if type(value) in _SCALARS or value is None or isinstance(value, bool | int):
        return value
    if _depth > _MAX_DEPTH:
        return "<too deep>"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return json_safe(value.value, _depth + 1)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _safe_field(str(k), v, _depth) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v, _depth + 1) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _safe_field(f.name, getattr(value, f.name), _depth) for f in dataclasses.fields(value)}
    return mask_url(repr(value))


def _safe_field(key: str, value: Any, depth: int) -> Any:
    return _masked(value) if is_secret_key(key) else json_safe(value, depth + 1)
