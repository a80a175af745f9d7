"""The command language's vocabulary as data: command words, flags, twap verbs and keywords, and each command's help.

``docs/commands.md`` writes the grammar out; the parser reads its words from here, so help, suggestions and the
parser cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Flag:
    """A flag: its ``key`` in the parser, its spellings (``-e``, ``--exchange``) and what its value is (None: none)."""

    key: str
    names: tuple[str, ...]
    value: str | None = None

    @property
    def name(self) -> str:
        return self.names[0]


EXCHANGE = Flag("exchange", ("-e", "--exchange"), "an exchange name")
CATEGORY = Flag("category", ("-c", "--category"), "a category (spot or linear)")
TRAILING_STOP = Flag("trailing_stop", ("-tsl", "--trailing-stop"), "a percentage (2.8 or 2.8%)")
STOP_LOSS = Flag("stop_loss", ("-sl", "--stop-loss"), "a percentage (2.8 or 2.8%)")
TAKE_PROFIT = Flag("take_profit", ("-tp", "--take-profit"), "a percentage (2.8 or 2.8%)")
LIMIT = Flag("limit", ("-l", "--limit"), "a limit price")
DRY = Flag("dry", ("--dry",))
DEPTH = Flag("depth", ("-d", "--depth"), "a book depth (a whole number of levels)")
JOB_ID = Flag("id", ("--id",), "a job id (1-16 lowercase letters or digits)")
ARCHIVED = Flag("all", ("-a", "--all"))
FLAGS = (EXCHANGE, CATEGORY, TRAILING_STOP, STOP_LOSS, TAKE_PROFIT, LIMIT, DRY, DEPTH, JOB_ID, ARCHIVED)

TRADE_FLAGS = (EXCHANGE, CATEGORY, TRAILING_STOP, STOP_LOSS, TAKE_PROFIT, LIMIT, DRY)
CLOSE_FLAGS = (EXCHANGE, CATEGORY, DRY)
CLOSE_ALL_FLAGS = (EXCHANGE, DRY)
TWAP_CREATE_FLAGS = (EXCHANGE, CATEGORY, LIMIT, JOB_ID, DRY)
TWAP_LIST_FLAGS = (ARCHIVED,)
SUBSCRIBE_FLAGS = (EXCHANGE, CATEGORY, DEPTH)
UNSUBSCRIBE_FLAGS = (EXCHANGE, CATEGORY)
LISTING_FLAGS = (EXCHANGE,)

UNITS = ("base", "quote")
CATEGORIES = ("spot", "linear")
TWAP_KEYWORDS = ("over", "every", "slices", "limit")
TWAP_CONTROLS = ("show", "pause", "resume", "cancel", "archive", "report")
TWAP_VERBS = ("buy", "sell", "list", *TWAP_CONTROLS)
LISTINGS = ("positions", "trades", "deals", "balance")


@dataclass(frozen=True, slots=True)
class CommandHelp:
    word: str
    usage: str
    summary: str
    example: str


HELP = (
    CommandHelp(
        "buy", "buy MARKET AMOUNT [quote|base] [-e EXCHANGE] [-c spot|linear] [-tsl PCT] [-sl PCT] [-tp PCT] "
        "[-l PRICE] [--dry]",
        "Open a long trade: AMOUNT in the quote currency unless followed by base; market order unless -l.",
        "buy btc 80 -tsl 2.8 -e bybit",
    ),
    CommandHelp("sell", "sell MARKET AMOUNT [quote|base] [flags as buy]", "Open a short trade (or sell spot).",
                "sell eth 0.5 base"),
    CommandHelp("close", "close MARKET|all [-e EXCHANGE] [-c spot|linear] [--dry]",
                "Close the open trade of a market, or every open trade.", "close btc"),
    CommandHelp(
        "twap",
        "twap buy|sell MARKET AMOUNT [base|quote] over DURATION (every DURATION | slices N) [limit PRICE] "
        "[-e EXCHANGE] [-c spot|linear] [--id ID] [--dry] | twap list [--all] | "
        "twap show|pause|resume|cancel|archive|report ID",
        "Slice an order over time (AMOUNT in the base currency unless followed by quote), or manage TWAP jobs.",
        "twap buy btc 1.5 over 2h every 1m limit 65000",
    ),
    CommandHelp("subscribe", "subscribe MARKET [-e EXCHANGE] [-c spot|linear] [-d DEPTH]",
                "Stream a market's order book.", "subscribe eth -e bybit"),
    CommandHelp("unsubscribe", "unsubscribe MARKET [-e EXCHANGE] [-c spot|linear]",
                "Stop streaming a market's order book.", "unsubscribe eth -e bybit"),
    CommandHelp("positions", "positions [-e EXCHANGE]", "The open positions.", "positions"),
    CommandHelp("trades", "trades [-e EXCHANGE]", "The open trades and their risk levels.", "trades"),
    CommandHelp("deals", "deals [-e EXCHANGE]", "The closed trades and their results.", "deals"),
    CommandHelp("balance", "balance [-e EXCHANGE]", "The account balances.", "balance -e bybit"),
    CommandHelp("status", "status", "Which services this system runs.", "status"),
    CommandHelp("help", "help [COMMAND]", "Every command, or one command in full.", "help twap"),
    CommandHelp("quit", "quit", "Stop every service gracefully (from the terminal or Telegram; confirmed).", "quit"),
    CommandHelp("confirm", "confirm CODE", "Carry out the destructive command that asked for this code.",
                "confirm k7q2"),
)  # fmt: skip
COMMANDS = tuple(h.word for h in HELP)


def help_text(topic: str | None) -> str:
    """Every command's usage, or one command's usage, summary and example."""
    if topic is None:
        return "\n".join(f"{h.usage}\n    {h.summary}" for h in HELP)
    (found,) = (h for h in HELP if h.word == topic)
    return f"{found.usage}\n    {found.summary}\n    example: {found.example}"
