"""A secret token read from a file outside the repository (``http.token_file``, ``telegram.token_file``)."""

from __future__ import annotations

from pathlib import Path


class TokenError(ValueError):
    """A token file that cannot be read or holds no usable token; the message names the file, never its content."""


def read_token_file(path: Path, setting: str) -> str:
    """The token in ``path``, stripped; TokenError naming ``setting`` and the file when unreadable or empty."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise TokenError(f"{setting}: cannot read {path}: {reason}") from None
    if not token:
        raise TokenError(f"{setting}: {path} is empty")
    return token
