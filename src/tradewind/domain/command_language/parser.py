"""The command language's parser: text -> one typed command of ``domain/commands.py``, or a CommandSyntaxError.

Each command is its word, then its positional words in order; its flags may stand anywhere after the word (after
the verb, for ``twap``). Words are case-insensitive. Every number goes through ``domain/numbers.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tradewind.domain.command_language.aliases import DEFAULT_ALIASES, MARKET_WORD, AliasTable
from tradewind.domain.command_language.errors import CommandSyntaxError, nearest, quoted
from tradewind.domain.command_language.grammar import (
    CATEGORIES,
    CLOSE_ALL_FLAGS,
    CLOSE_FLAGS,
    COMMANDS,
    FLAGS,
    LISTING_FLAGS,
    SUBSCRIBE_FLAGS,
    TRADE_FLAGS,
    TWAP_CONTROLS,
    TWAP_CREATE_FLAGS,
    TWAP_KEYWORDS,
    TWAP_LIST_FLAGS,
    TWAP_VERBS,
    UNITS,
    UNSUBSCRIBE_FLAGS,
    Flag,
)
from tradewind.domain.command_language.tokens import Token, tokenize
from tradewind.domain.commands import (
    AmountUnit,
    ArchiveTwap,
    CancelTwap,
    CloseAll,
    CloseTrade,
    Command,
    Confirm,
    CreateTwap,
    DryRun,
    DryRunnable,
    Help,
    InputLimits,
    ListDeals,
    ListPositions,
    ListTrades,
    ListTwaps,
    OpenTrade,
    PauseTwap,
    Quit,
    ResumeTwap,
    ShowBalance,
    ShowStatus,
    ShowTwap,
    Subscribe,
    TwapReport,
    Unsubscribe,
)
from tradewind.domain.market import InstrumentRef
from tradewind.domain.numbers import NumberError, parse_decimal, parse_int
from tradewind.domain.values import Category, Side

_DURATION = re.compile(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
_DURATION_UNITS = (86_400, 3600, 60, 1)
_JOB_ID = re.compile(r"[a-z0-9]{1,16}")
CONFIRM_CODE = re.compile(r"[a-z0-9]{4,12}")
_EXCHANGE_NAME = re.compile(r"[a-z0-9_-]{1,32}")
_HAS_DIGIT = re.compile(r"[0-9]")
_NUMERIC = re.compile(r"[0-9.]+")
MAX_DEPTH = 1000
_MARKET = "a market (an alias such as btc, or a symbol such as BTCUSDT)"
DEFAULT_DEPTH = 50
_CONTROLS: dict[str, Callable[[str], Command]] = {
    "show": ShowTwap, "pause": PauseTwap, "resume": ResumeTwap, "cancel": CancelTwap, "archive": ArchiveTwap,
    "report": TwapReport,
}  # fmt: skip
_LISTINGS: dict[str, Callable[[str | None], Command]] = {
    "positions": ListPositions, "trades": ListTrades, "deals": ListDeals, "balance": ShowBalance,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class LanguageContext:
    """What the parser needs of the system: aliases, the default and the configured exchanges, the number limits."""

    aliases: AliasTable = DEFAULT_ALIASES
    default_exchange: str | None = None
    exchanges: tuple[str, ...] = ()  # the configured exchange names; empty: any well-formed name
    limits: InputLimits = field(default_factory=InputLimits)


def parse_command(text: str, context: LanguageContext | None = None) -> Command:
    """The typed command ``text`` says; CommandSyntaxError (and nothing else) when it says none."""
    return _Parser(text, context or LanguageContext()).command()


@dataclass(slots=True)
class _Given:
    """A flag as given: its token and its value's token (None for a flag without a value)."""

    flag: Token
    value: Token | None


class _Parser:
    def __init__(self, text: str, context: LanguageContext) -> None:
        self._tokens = tokenize(text)
        self._end = len(text.rstrip()) + 2 if text.strip() else 1  # the column just past the last word
        self._context = context
        self._rest: list[Token] = []
        self._flags: dict[str, _Given] = {}

    # -- commands ---------------------------------------------------------------------------------------------

    def command(self) -> Command:
        if not self._tokens:
            raise CommandSyntaxError(1, "a command", None, problem=f"expected a command ({', '.join(COMMANDS)})")
        head = self._tokens[0]
        word = head.word
        match word:
            case "buy" | "sell":
                self._split(self._tokens[1:], word, TRADE_FLAGS)
                return self._dry(self._open_trade(Side.BUY if word == "buy" else Side.SELL))
            case "close":
                return self._close()
            case "twap":
                return self._twap()
            case "subscribe" | "unsubscribe":
                return self._subscription(word)
            case "positions" | "trades" | "deals" | "balance":
                self._split(self._tokens[1:], word, LISTING_FLAGS)
                self._done()
                return _LISTINGS[word](self._exchange_flag())
            case "status" | "quit":
                self._split(self._tokens[1:], word, ())
                self._done()
                return ShowStatus() if word == "status" else Quit()
            case "help":
                return self._help()
            case "confirm":
                self._split(self._tokens[1:], word, ())
                code = self._next("a confirmation code (the one the command answered)")
                self._done()
                if not CONFIRM_CODE.fullmatch(code.word):
                    raise CommandSyntaxError(code.column, "a confirmation code (4 to 12 letters or digits)", code.text)
                return Confirm(code.word)
        raise CommandSyntaxError(
            head.column, "a command", head.text, nearest(word, COMMANDS), problem=f"unknown command {quoted(head.text)}"
        )

    def _open_trade(self, side: Side) -> OpenTrade:
        market = self._market()
        amount = self._positive(self._next("an amount (a positive number)"), "amount")
        unit = self._unit()
        self._done(also="base, quote or a flag" if unit is None else None)
        exchange = self._exchange_flag() or self._context.default_exchange
        return OpenTrade(
            side, self._symbol(market, exchange), amount, unit or AmountUnit.QUOTE, exchange, self._category_flag(),
            trailing_stop_pct=self._percent_flag("trailing_stop", below_100=True),
            stop_loss_pct=self._percent_flag("stop_loss", below_100=True),
            take_profit_pct=self._percent_flag("take_profit", below_100=False),
            limit_price=self._price_flag(),
        )  # fmt: skip

    def _close(self) -> Command:
        self._split(self._tokens[1:], "close", CLOSE_FLAGS)
        if self._rest and self._rest[0].word == "all":
            self._rest.pop(0)
            self._done()
            category = self._flags.get("category")
            if category is not None:  # every market of every category: a category narrows nothing
                flag = category.flag
                names = ", ".join(f.name for f in CLOSE_ALL_FLAGS)
                raise CommandSyntaxError(
                    flag.column, f"one of the flags of close all ({names})", flag.text,
                    problem=f"flag {quoted(flag.text)} does not apply to close all",
                )  # fmt: skip
            return self._dry(CloseAll(self._exchange_flag()))
        market = self._market(f"{_MARKET} or all")
        self._done()
        exchange = self._exchange_flag() or self._context.default_exchange
        return self._dry(CloseTrade(self._symbol(market, exchange), exchange, self._category_flag()))

    def _twap(self) -> Command:
        expected = f"a twap verb ({', '.join(TWAP_VERBS)})"
        if len(self._tokens) < 2:
            raise CommandSyntaxError(self._end, expected, None)
        verb = self._tokens[1]
        rest = self._tokens[2:]
        match verb.word:
            case "buy" | "sell":
                self._split(rest, f"twap {verb.word}", TWAP_CREATE_FLAGS)
                return self._dry(self._create_twap(Side.BUY if verb.word == "buy" else Side.SELL))
            case "list":
                self._split(rest, "twap list", TWAP_LIST_FLAGS)
                self._done()
                return ListTwaps(archived="all" in self._flags)
            case word if word in TWAP_CONTROLS:
                self._split(rest, f"twap {word}", ())
                job = self._next("a job id (1-16 lowercase letters or digits)")
                self._done()
                return _CONTROLS[word](self._job_id(job))
        problem = f"unknown twap verb {quoted(verb.text)}, expected {expected}"
        raise CommandSyntaxError(verb.column, expected, verb.text, nearest(verb.word, TWAP_VERBS), problem=problem)

    def _create_twap(self, side: Side) -> CreateTwap:
        market = self._market()
        amount = self._positive(self._next("an amount (a positive number)"), "amount")
        unit = self._unit() or AmountUnit.BASE
        words = self._keywords()
        if "over" not in words:
            raise CommandSyntaxError(self._end, "over DURATION (the runtime, such as 2h)", None)
        runtime = self._duration(words["over"][1])
        if "every" in words and "slices" in words:
            keyword = words["slices"][0]
            raise CommandSyntaxError(keyword.column, "every DURATION or slices N, not both", keyword.text,
                                     problem="give every DURATION or slices N, not both")  # fmt: skip
        if "every" not in words and "slices" not in words:
            raise CommandSyntaxError(self._end, "every DURATION or slices N", None)
        interval = self._duration(words["every"][1]) if "every" in words else None
        slices = None
        if "slices" in words:
            slices = self._whole(words["slices"][1], "slices", 1, self._context.limits.max_slices)
        limit = self._price_flag()
        if "limit" in words:
            if limit is not None:
                keyword = words["limit"][0]
                raise CommandSyntaxError(keyword.column, "one limit price", keyword.text,
                                         problem="the limit is given twice (limit and -l)")  # fmt: skip
            limit = self._positive(words["limit"][1], "limit price")
        exchange = self._exchange_flag() or self._context.default_exchange
        job = self._flags.get("id")
        return CreateTwap(
            side, self._symbol(market, exchange), runtime,
            quantity=amount if unit is AmountUnit.BASE else None, notional=amount if unit is AmountUnit.QUOTE else None,
            slices=slices, interval_s=interval, limit_price=limit, exchange=exchange, category=self._category_flag(),
            job_id=None if job is None or job.value is None else self._job_id(job.value),
        )  # fmt: skip

    def _subscription(self, word: str) -> Command:
        self._split(self._tokens[1:], word, SUBSCRIBE_FLAGS if word == "subscribe" else UNSUBSCRIBE_FLAGS)
        market = self._market()
        self._done()
        exchange = self._exchange_flag() or self._context.default_exchange
        if exchange is None:
            raise CommandSyntaxError(self._end, "-e EXCHANGE (no default exchange is configured)", None)
        ref = InstrumentRef(exchange, self._category_flag(), self._symbol(market, exchange))
        if word == "unsubscribe":
            return Unsubscribe(ref)
        given = self._flags.get("depth")
        if given is None or given.value is None:
            return Subscribe(ref, DEFAULT_DEPTH)
        return Subscribe(ref, self._whole(given.value, "depth", 1, MAX_DEPTH))

    def _help(self) -> Help:
        self._split(self._tokens[1:], "help", ())
        if not self._rest:
            return Help()
        topic = self._rest.pop(0)
        if topic.word not in COMMANDS:
            raise CommandSyntaxError(
                topic.column, "a command to explain", topic.text, nearest(topic.word, COMMANDS),
                problem=f"no command {quoted(topic.text)} to explain",
            )  # fmt: skip
        self._done()
        return Help(topic.word)

    def _dry(self, command: DryRunnable) -> Command:
        return DryRun(command) if "dry" in self._flags else command

    # -- words ------------------------------------------------------------------------------------------------

    def _split(self, tokens: list[Token], what: str, allowed: tuple[Flag, ...]) -> None:
        """Flags (with their values) into ``_flags``, the other words into ``_rest``, in order."""
        by_name = {name: flag for flag in allowed for name in flag.names}
        known = {name for flag in FLAGS for name in flag.names}
        i = 0
        while i < len(tokens):
            token = tokens[i]
            i += 1
            if not _looks_like_flag(token.word):
                self._rest.append(token)
                continue
            flag = by_name.get(token.word)
            if flag is None:
                names = [name for f in allowed for name in f.names]
                expected = f"one of the flags of {what} ({', '.join(f.name for f in allowed)})" if allowed else (
                    f"no flag ({what} takes none)")  # fmt: skip
                said = "does not apply to" if token.word in known else "is not a flag of"
                problem = f"flag {quoted(token.text)} {said} {what}"
                hint = None if token.word in known else nearest(token.word, names)  # -tsl on close: no -sl
                raise CommandSyntaxError(token.column, expected, token.text, hint, problem=problem)
            if flag.key in self._flags:
                raise CommandSyntaxError(token.column, f"{flag.name} once", token.text,
                                         problem=f"flag {flag.name} is given twice")  # fmt: skip
            value = None
            if flag.value is not None:
                if i >= len(tokens):
                    raise CommandSyntaxError(self._end, f"{flag.value} after {token.text}", None)
                value = tokens[i]
                i += 1
            self._flags[flag.key] = _Given(token, value)

    def _next(self, expected: str) -> Token:
        if not self._rest:
            raise CommandSyntaxError(self._end, expected, None)
        return self._rest.pop(0)

    def _done(self, also: str | None = None) -> None:
        """Refuse any word left over."""
        if self._rest:
            extra = self._rest[0]
            expected = also or "the end of the command"
            hint = nearest(extra.word, UNITS) if also else None
            raise CommandSyntaxError(extra.column, expected, extra.text, hint)

    def _unit(self) -> AmountUnit | None:
        """``base`` or ``quote`` if it comes next; None otherwise (the command's default applies)."""
        if self._rest and self._rest[0].word in UNITS:
            return AmountUnit(self._rest.pop(0).word)
        return None

    def _keywords(self) -> dict[str, tuple[Token, Token]]:
        """``over``, ``every``, ``slices`` and ``limit`` with their values, in any order, each at most once."""
        found: dict[str, tuple[Token, Token]] = {}
        while self._rest:
            keyword = self._rest.pop(0)
            if keyword.word not in TWAP_KEYWORDS:
                expected = "over, every, slices, limit or a flag"
                raise CommandSyntaxError(
                    keyword.column, expected, keyword.text, nearest(keyword.word, (*TWAP_KEYWORDS, *UNITS))
                )
            if keyword.word in found:
                raise CommandSyntaxError(keyword.column, f"{keyword.word} once", keyword.text,
                                         problem=f"{keyword.word} is given twice")  # fmt: skip
            found[keyword.word] = (keyword, self._next(_KEYWORD_VALUES[keyword.word]))
        return found

    def _market(self, expected: str = _MARKET) -> Token:
        """The next word, if it can name a market: letters and digits, not a number."""
        market = self._next(expected)
        if not MARKET_WORD.fullmatch(market.word) or _NUMERIC.fullmatch(market.word):
            hint = nearest(market.word, self._context.aliases.words)
            raise CommandSyntaxError(market.column, expected, market.text, hint)
        return market

    def _symbol(self, market: Token, exchange: str | None) -> str:
        return self._context.aliases.symbol(market.word, exchange)

    def _exchange_flag(self) -> str | None:
        given = self._flags.get("exchange")
        if given is None or given.value is None:
            return None
        token = given.value
        configured = {name.lower(): name for name in self._context.exchanges}
        if configured:
            if token.word not in configured:
                raise CommandSyntaxError(
                    token.column, f"an exchange ({', '.join(sorted(configured))})", token.text,
                    nearest(token.word, configured), problem=f"unknown exchange {quoted(token.text)}",
                )  # fmt: skip
            return configured[token.word]
        if not _EXCHANGE_NAME.fullmatch(token.word):
            raise CommandSyntaxError(token.column, "an exchange name", token.text)
        return token.word

    def _category_flag(self) -> Category:
        given = self._flags.get("category")
        if given is None or given.value is None:
            return Category.SPOT
        token = given.value
        if token.word not in CATEGORIES:
            raise CommandSyntaxError(token.column, "a category (spot or linear)", token.text,
                                     nearest(token.word, CATEGORIES))  # fmt: skip
        return Category(token.word)

    def _percent_flag(self, key: str, *, below_100: bool) -> Decimal | None:
        given = self._flags.get(key)
        if given is None or given.value is None:
            return None
        token = given.value
        what = f"a percentage after {given.flag.text} (such as 2.8 or 2.8%)"
        value = self._decimal(token, token.text.removesuffix("%"), what, given.flag.text)
        if value <= 0 or (below_100 and value >= 100):
            bounds = "above 0 and below 100" if below_100 else "above 0"
            raise CommandSyntaxError(token.column, f"a percentage {bounds}", token.text)
        return value

    def _price_flag(self) -> Decimal | None:
        given = self._flags.get("limit")
        if given is None or given.value is None:
            return None
        return self._positive(given.value, "limit price")

    def _positive(self, token: Token, field: str) -> Decimal:
        what = f"{'an' if field[0] in 'aeiou' else 'a'} {field} (a positive number)"
        value = self._decimal(token, token.text, what, field)
        if value <= 0:
            raise CommandSyntaxError(token.column, what, token.text)
        return value

    def _decimal(self, token: Token, text: str, what: str, field: str) -> Decimal:
        try:
            return parse_decimal(text, field, self._context.limits.numbers)
        except NumberError as exc:
            problem = str(exc) if _HAS_DIGIT.search(text) else None  # a number too large or too fine: say the limits
            raise CommandSyntaxError(token.column, what, token.text, problem=problem) from None

    def _whole(self, token: Token, field: str, low: int, high: int) -> int:
        try:
            return parse_int(token.text, field, low=low, high=high)
        except NumberError:
            expected = f"{field}: a whole number from {low} to {high}"
            raise CommandSyntaxError(token.column, expected, token.text) from None

    def _duration(self, token: Token) -> int:
        """``90s``, ``2h``, ``1h30m``, ``1d``: whole seconds from 1 to the longest runtime."""
        most = self._context.limits.max_runtime_s
        expected = f"a duration such as 90s, 1m, 2h or 1h30m (at most {most} s)"
        found = _DURATION.fullmatch(token.word)
        if found is None or not token.word:
            raise CommandSyntaxError(token.column, expected, token.text)
        seconds = 0
        try:
            for part, unit in zip(found.groups(), _DURATION_UNITS, strict=True):
                if part is not None:
                    seconds += parse_int(part, "duration", low=0, high=most) * unit
        except NumberError:
            raise CommandSyntaxError(token.column, expected, token.text) from None
        if not 1 <= seconds <= most:
            raise CommandSyntaxError(token.column, expected, token.text)
        return seconds

    def _job_id(self, token: Token) -> str:
        if not _JOB_ID.fullmatch(token.word):
            raise CommandSyntaxError(token.column, "a job id (1-16 lowercase letters or digits)", token.text)
        return token.word


_KEYWORD_VALUES = {
    "over": "a duration after over (such as 2h)",
    "every": "a duration after every (such as 1m)",
    "slices": "a number of slices after slices",
    "limit": "a limit price after limit",
}


def _looks_like_flag(word: str) -> bool:
    """``-e`` and ``--dry`` are flags; ``-5`` and ``-.5`` are (negative) numbers, left for the number parser."""
    return len(word) > 1 and word[0] == "-" and not (word[1].isdigit() or word[1] == ".")
