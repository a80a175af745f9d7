"""The ``telegram`` section: the bot's token (masked), where the Bot API is, and whether `tradewind run` embeds it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from tradewind.interfaces.token_file import read_token_file


class TelegramSettings(BaseModel):
    """Who may command is ``commands.users`` (their ``telegram_chats``); this section is the bot itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = False  # `tradewind run` starts the bot too (the distributed mode runs `tradewind service telegram`)
    token: SecretStr | None = None  # TRADEWIND_TELEGRAM__TOKEN, or token_file
    token_file: Path | None = None  # a file outside the repository holding the token
    base_url: str = Field("https://api.telegram.org/bot", pattern=r"^https?://")  # a local Bot API server's, in tests
    poll_timeout_s: int = Field(10, ge=0, le=50)  # long polling: how long each getUpdates may wait for an update
    notify: bool = True  # TWAP fills, trades and deals opened and closed to the chats of users with notify on
    max_reply: int = Field(4000, ge=100, le=4096)  # characters; Telegram refuses messages over 4096
    notify_queue: str = Field("telegram.notices", min_length=1)  # durable: holds notices while the bot is down
    send_attempts: int = Field(5, ge=1, le=20)  # per chat and delivery, on timeouts, 5xx and flood control
    send_backoff_s: float = Field(1.0, gt=0, le=60)  # the pause after the first passing failure, doubled each time

    @model_validator(mode="after")
    def _one_token_source(self) -> TelegramSettings:
        if self.token is not None and self.token_file is not None:
            raise ValueError("set telegram.token or telegram.token_file, not both")
        return self

    def bot_token(self) -> str | None:
        """The token, or None when neither is set; a file that cannot be read raises ValueError naming it."""
        if self.token is not None:
            return self.token.get_secret_value().strip() or None
        if self.token_file is None:
            return None
        return read_token_file(self.token_file, "telegram.token_file")
