"""Keeping secrets out of logs and making log fields JSON-safe."""

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

SECRET_KEY = re.compile(
    r"secret|password|passwd|passphrase|api[_-]?key|token|authorization|private[_-]?key|signature", re.IGNORECASE
)
_MAX_DEPTH = 12
_SCALARS = frozenset({str, int, bool, type(None)})  # exact types: a cheap test before the ABC checks


def is_secret_key(key: object) -> bool:
    """True for keys such as ``api_secret``, ``password``, ``X-Api-Key`` or ``access_token``."""
    return isinstance(key, str) and _secret_name(key)


@lru_cache(maxsize=4096)  # log keys are a small, repeating set
def _secret_name(key: str) -> bool:
    return SECRET_KEY.search(key) is not None


def scrub(value: Any, _depth: int = 0) -> Any:
    """A copy of ``value`` with secret-named keys removed at every depth of mappings and lists."""
    if _depth > _MAX_DEPTH:
        return "<too deep>"
    if isinstance(value, Mapping):
        return {k: scrub(v, _depth + 1) for k, v in value.items() if not is_secret_key(k)}
    if isinstance(value, list | tuple):
        return [scrub(v, _depth + 1) for v in value]
    return value


def drop_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: removes secret-named keys (nested ones too) before anything renders or stores."""
    for key in [k for k in event_dict if is_secret_key(k)]:
        del event_dict[key]
    for key, value in event_dict.items():
        if type(value) not in _SCALARS and isinstance(value, Mapping | list | tuple):
            event_dict[key] = scrub(value)
    return event_dict


def json_safe(value: Any, _depth: int = 0) -> Any:
    """A JSON-compatible copy without secret-named keys: Decimals and times become strings, enums their
    value, dataclasses mappings, anything else its repr."""
    if type(value) in _SCALARS or value is None or isinstance(value, bool | int | str):
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
        return {str(k): json_safe(v, _depth + 1) for k, v in value.items() if not is_secret_key(str(k))}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v, _depth + 1) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return {f.name: json_safe(getattr(value, f.name), _depth + 1) for f in fields if not is_secret_key(f.name)}
    return repr(value)
