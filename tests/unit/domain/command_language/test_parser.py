"""The command language: every command and flag parses into its typed command; bad text is a CommandSyntaxError
naming the column, what was expected and the nearest word; random text raises nothing else."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.domain.command_language import (
    COMMANDS,
    MAX_TEXT,
    Alias,
    AliasTable,
    CommandSyntaxError,
    LanguageContext,
    help_text,
    parse_command,
)
from tradewind.domain.command_language.grammar import FLAGS, HELP, TWAP_KEYWORDS, TWAP_VERBS, UNITS
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
from tradewind.domain.numbers import NumberLimits
from tradewind.domain.values import Category, Side

D = Decimal
ALIASES = AliasTable({"btc": Alias("BTCUSDT", {"kraken": "XBTUSDT"}), "eth": Alias("ETHUSDT")})
CONTEXT = LanguageContext(ALIASES, "sim", ("sim", "bybit", "kraken"))
BUY, SELL = Side.BUY, Side.SELL
SPOT, LINEAR = Category.SPOT, Category.LINEAR


def parse(text: str) -> Command:
    return parse_command(text, CONTEXT)


def twap(side: Side = BUY, symbol: str = "BTCUSDT", runtime_s: int = 7200, **fields: object) -> CreateTwap:
    base: dict[str, object] = {"quantity": D("1.5"), "interval_s": 60, "exchange": "sim"}
    return CreateTwap(side, symbol, runtime_s, **(base | fields))  # type: ignore[arg-type]


PARSED: list[tuple[str, Command]] = [
    # buy / sell: amount in the quote currency unless "base"; the default exchange unless -e
    ("buy btc 80", OpenTrade(BUY, "BTCUSDT", D(80), AmountUnit.QUOTE, "sim")),
    ("sell eth 0.5 base", OpenTrade(SELL, "ETHUSDT", D("0.5"), AmountUnit.BASE, "sim")),
    ("buy btc 80 quote", OpenTrade(BUY, "BTCUSDT", D(80), AmountUnit.QUOTE, "sim")),
    ("buy btc 80 -e bybit", OpenTrade(BUY, "BTCUSDT", D(80), exchange="bybit")),
    ("buy btc 80 --exchange bybit", OpenTrade(BUY, "BTCUSDT", D(80), exchange="bybit")),
    ("buy btc 80 -e kraken", OpenTrade(BUY, "XBTUSDT", D(80), exchange="kraken")),
    ("buy btc 80 -c linear", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", category=LINEAR)),
    ("buy btc 80 --category linear", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", category=LINEAR)),
    ("buy btc 80 -tsl 2.8", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", trailing_stop_pct=D("2.8"))),
    ("buy btc 80 -tsl 2.8%", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", trailing_stop_pct=D("2.8"))),
    ("buy btc 80 --trailing-stop 3", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", trailing_stop_pct=D(3))),
    ("buy btc 80 -sl 1.5", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", stop_loss_pct=D("1.5"))),
    ("buy btc 80 --stop-loss 1.5%", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", stop_loss_pct=D("1.5"))),
    ("buy btc 80 -tp 150", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", take_profit_pct=D(150))),
    ("buy btc 80 --take-profit 4", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", take_profit_pct=D(4))),
    ("buy btc 80 -l 65000.5", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", limit_price=D("65000.5"))),
    ("buy btc 80 --limit 65000", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim", limit_price=D(65000))),
    ("buy btc 80 --dry", DryRun(OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim"))),
    (
        "buy btc 80 -tsl 2.8 -e bybit",  # the seed's example
        OpenTrade(BUY, "BTCUSDT", D(80), exchange="bybit", trailing_stop_pct=D("2.8")),
    ),
    (
        "sell eth 0.5 base -tsl 1 -sl 2 -tp 3 -l 3000 -e bybit -c linear --dry",
        DryRun(OpenTrade(SELL, "ETHUSDT", D("0.5"), AmountUnit.BASE, "bybit", LINEAR, D(1), D(2), D(3), D(3000))),
    ),
    ("buy -e bybit btc --dry 80", DryRun(OpenTrade(BUY, "BTCUSDT", D(80), exchange="bybit"))),  # flags anywhere
    ("  BUY   BTC 80 -E BYBIT  ", OpenTrade(BUY, "BTCUSDT", D(80), exchange="bybit")),  # case-insensitive
    ("buy doge 80", OpenTrade(BUY, "DOGEUSDT", D(80), exchange="sim")),  # not listed: the default quote appended
    ("buy ethbtc 0.1", OpenTrade(BUY, "ETHBTC", D("0.1"), exchange="sim")),  # ends in a quote: a symbol as it is
    ("buy BTCUSDT 80", OpenTrade(BUY, "BTCUSDT", D(80), exchange="sim")),
    ("buy 1000pepe 80", OpenTrade(BUY, "1000PEPEUSDT", D(80), exchange="sim")),
    ("buy btc 1e3", OpenTrade(BUY, "BTCUSDT", D(1000), exchange="sim")),
    # close
    ("close btc", CloseTrade("BTCUSDT", "sim")),
    ("close btc -e kraken -c linear", CloseTrade("XBTUSDT", "kraken", LINEAR)),
    ("close btc --dry", DryRun(CloseTrade("BTCUSDT", "sim"))),
    ("close all", CloseAll()),
    ("close all -e bybit --dry", DryRun(CloseAll("bybit"))),
    ("close -e bybit all", CloseAll("bybit")),
    # twap
    ("twap buy btc 1.5 over 2h every 1m limit 65000", twap(limit_price=D(65000))),
    ("twap buy btc 1.5 every 1m over 2h", twap()),
    ("twap buy btc 1.5 base over 2h every 1m -l 65000", twap(limit_price=D(65000))),
    (
        "twap sell eth 300 quote over 1h30m slices 12",
        twap(SELL, "ETHUSDT", 5400, quantity=None, notional=D(300), interval_s=None, slices=12),
    ),
    ("twap buy btc 1.5 over 1d every 90s", twap(runtime_s=86_400, interval_s=90)),
    (
        "twap buy btc 1.5 over 2h every 1m -e bybit -c linear --id job7",
        twap(exchange="bybit", category=LINEAR, job_id="job7"),
    ),
    ("twap buy btc 1.5 over 2h every 1m --dry", DryRun(twap())),
    ("twap list", ListTwaps()),
    ("twap list --all", ListTwaps(archived=True)),
    ("twap list -a", ListTwaps(archived=True)),
    ("twap show ab12", ShowTwap("ab12")),
    ("twap pause ab12", PauseTwap("ab12")),
    ("twap resume AB12", ResumeTwap("ab12")),
    ("twap cancel ab12", CancelTwap("ab12")),
    ("twap archive ab12", ArchiveTwap("ab12")),
    ("twap report ab12", TwapReport("ab12")),
    # market data
    ("subscribe eth", Subscribe(InstrumentRef("sim", SPOT, "ETHUSDT"), 50)),
    ("subscribe btc -e kraken -c linear -d 20", Subscribe(InstrumentRef("kraken", LINEAR, "XBTUSDT"), 20)),
    ("subscribe btc --depth 1000", Subscribe(InstrumentRef("sim", SPOT, "BTCUSDT"), 1000)),
    ("unsubscribe eth -e bybit", Unsubscribe(InstrumentRef("bybit", SPOT, "ETHUSDT"))),
    # listings and the system
    ("positions", ListPositions()),
    ("positions -e bybit", ListPositions("bybit")),
    ("trades", ListTrades()),
    ("deals --exchange kraken", ListDeals("kraken")),
    ("balance", ShowBalance()),
    ("balance -e sim", ShowBalance("sim")),
    ("status", ShowStatus()),
    ("help", Help()),
    ("help TWAP", Help("twap")),
    ("quit", Quit()),
    ("confirm K7Q2AB", Confirm("k7q2ab")),
]


@pytest.mark.parametrize(("text", "command"), PARSED, ids=[t for t, _ in PARSED])
def test_every_command_and_flag_parses_into_its_typed_command(text: str, command: Command) -> None:
    assert parse(text) == command


def test_every_command_word_and_flag_is_in_the_table() -> None:
    words = {t.split()[0].lower() for t, _ in PARSED}
    assert words == set(COMMANDS)
    said = " ".join(t.lower() for t, _ in PARSED).split()
    assert {name for flag in FLAGS for name in flag.names} <= set(said)
    assert set(TWAP_VERBS) | set(TWAP_KEYWORDS) | set(UNITS) <= set(said)


REFUSED: list[tuple[str, int, str, str | None, str | None]] = [
    # text, column, expected (a part of), got, suggestion
    ("", 1, "a command", None, None),
    ("buyy btc 80", 1, "a command", "buyy", "buy"),
    ("sel eth 1", 1, "a command", "sel", "sell"),
    ("subscrbe eth", 1, "a command", "subscrbe", "subscribe"),
    ("buy btc eighty", 9, "an amount", "eighty", None),
    ("buy btc", 9, "an amount", None, None),
    ("buy btc   ", 9, "an amount", None, None),
    ("buy", 5, "a market", None, None),
    ("buy 80 btc", 5, "a market", "80", None),
    ("buy bt-c 80", 5, "a market", "bt-c", "btc"),
    ("buy btc 0", 9, "an amount", "0", None),
    ("buy btc -5", 9, "an amount", "-5", None),
    ("buy btc NaN", 9, "an amount", "NaN", None),
    ("buy btc 1_0", 9, "an amount", "1_0", None),
    ("buy btc 1e400", 9, "an amount", "1e400", None),
    ("buy btc 80 bsae", 12, "base, quote or a flag", "bsae", "base"),
    ("buy btc 80 base now", 17, "the end of the command", "now", None),
    ("buy btc 80 -tls 2", 12, "one of the flags of buy", "-tls", "-tsl"),
    ("buy btc 80 --dyr", 12, "one of the flags of buy", "--dyr", "--dry"),
    ("buy btc 80 --depth 5", 12, "one of the flags of buy", "--depth", None),
    ("buy btc 80 -e bybt", 15, "an exchange", "bybt", "bybit"),
    ("buy btc 80 -e", 15, "an exchange name after -e", None, None),
    ("buy btc 80 -e bybit -e sim", 21, "-e once", "-e", None),
    ("buy btc 80 -c futures", 15, "a category", "futures", None),
    ("buy btc 80 -c spto", 15, "a category", "spto", "spot"),
    ("buy btc 80 -tsl 0", 17, "a percentage above 0 and below 100", "0", None),
    ("buy btc 80 -tsl 100", 17, "a percentage above 0 and below 100", "100", None),
    ("buy btc 80 -sl 2.8%%", 16, "a percentage after -sl", "2.8%%", None),
    ("buy btc 80 -tp -1", 16, "a percentage above 0", "-1", None),
    ("buy btc 80 -l cheap", 15, "a limit price", "cheap", None),
    ("close", 7, "a market", None, None),
    ("close all -c linear", 11, "one of the flags of close all", "-c", None),
    ("close btc -tsl 2", 11, "one of the flags of close", "-tsl", None),
    ("close all now", 11, "the end of the command", "now", None),
    ("twap", 6, "a twap verb", None, None),
    ("twap pauze ab12", 6, "a twap verb", "pauze", "pause"),
    ("twap pause", 12, "a job id", None, None),
    ("twap pause Bad-Id", 12, "a job id", "Bad-Id", None),
    ("twap pause abcdefghijklmnopq", 12, "a job id", "abcdefghijklmnopq", None),
    ("twap pause ab12 --dry", 17, "no flag", "--dry", None),
    ("twap buy btc 1.5 over 2h", 26, "every DURATION or slices N", None, None),
    ("twap buy btc 1.5 every 1m", 27, "over DURATION", None, None),
    ("twap buy btc 1.5 over 2x every 1m", 23, "a duration", "2x", None),
    ("twap buy btc 1.5 over 0s every 1m", 23, "a duration", "0s", None),
    ("twap buy btc 1.5 over 1000d every 1m", 23, "a duration", "1000d", None),
    ("twap buy btc 1.5 over 2h evrey 1m", 26, "over, every, slices, limit or a flag", "evrey", "every"),
    ("twap buy btc 1.5 over 2h every 1m over 3h", 35, "over once", "over", None),
    ("twap buy btc 1.5 over 2h every 1m slices 3", 35, "not both", "slices", None),
    ("twap buy btc 1.5 over 2h slices 2.5", 33, "slices: a whole number", "2.5", None),
    ("twap buy btc 1.5 over 2h every 1m limit 1 -l 2", 35, "one limit price", "limit", None),
    ("twap buy btc 1.5 over 2h every", 32, "a duration after every", None, None),
    ("twap buy btc 1.5 over 2h every 1m --id Nope!", 40, "a job id", "Nope!", None),
    ("twap buy btc 1.5 over 2h every 1m -tsl 2", 35, "one of the flags of twap buy", "-tsl", None),
    ("subscribe", 11, "a market", None, None),
    ("subscribe eth -d 0", 18, "depth: a whole number from 1 to 1000", "0", None),
    ("subscribe eth -d 1001", 18, "depth", "1001", None),
    ("unsubscribe eth -d 5", 17, "one of the flags of unsubscribe", "-d", None),
    ("positions all", 11, "the end of the command", "all", None),
    ("balance -tsl 2", 9, "one of the flags of balance", "-tsl", None),
    ("status --dry", 8, "no flag", "--dry", None),
    ("help foo", 6, "a command to explain", "foo", None),
    ("help buyy", 6, "a command to explain", "buyy", "buy"),
    ("help buy sell", 10, "the end of the command", "sell", None),
    ("quit now", 6, "the end of the command", "now", None),
    ("confirm", 9, "a confirmation code", None, None),
    ("confirm ab", 9, "a confirmation code (4 to 12 letters or digits)", "ab", None),
    ("confirm abcd efgh", 14, "the end of the command", "efgh", None),
    ("confrim abcd", 1, "a command", "confrim", "confirm"),
]


@pytest.mark.parametrize(("text", "column", "expected", "got", "suggestion"), REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_text_says_where_what_was_expected_and_the_nearest_word(
    text: str, column: int, expected: str, got: str | None, suggestion: str | None
) -> None:
    with pytest.raises(CommandSyntaxError) as raised:
        parse(text)
    error = raised.value
    assert (error.column, error.got, error.suggestion) == (column, got, suggestion), str(error)
    assert expected in error.expected
    assert str(error).startswith(f"column {column}: ")
    if suggestion is not None:
        assert str(error).endswith(f'(did you mean "{suggestion}"?)')


def test_the_messages_read_as_the_issue_asks() -> None:
    with pytest.raises(CommandSyntaxError, match=r'^column 9: expected an amount \(a positive number\), got "eighty"$'):
        parse("buy btc eighty")
    with pytest.raises(CommandSyntaxError, match=r'^column 1: unknown command "buyy" \(did you mean "buy"\?\)$'):
        parse("buyy btc 80")
    with pytest.raises(CommandSyntaxError, match=r"got the end of the command$"):
        parse("buy btc")


def test_a_number_beyond_the_limits_names_the_limits() -> None:
    tight = LanguageContext(ALIASES, "sim", (), InputLimits(NumberLimits(max_magnitude=D(1000), max_places=2)))
    with pytest.raises(CommandSyntaxError, match="no larger than 1,000"):
        parse_command("buy btc 1001", tight)
    with pytest.raises(CommandSyntaxError, match="2 decimal places"):
        parse_command("buy btc 1.001", tight)
    assert parse_command("buy btc 999.99", tight) == OpenTrade(BUY, "BTCUSDT", D("999.99"), exchange="sim")


def test_a_runtime_longer_than_the_limit_is_refused() -> None:
    short = LanguageContext(ALIASES, "sim", (), InputLimits(max_runtime_s=3600))
    assert parse_command("twap buy btc 1 over 1h every 1m", short) == twap(quantity=D(1), runtime_s=3600)
    with pytest.raises(CommandSyntaxError, match="at most 3600 s"):
        parse_command("twap buy btc 1 over 1h1s every 1m", short)


def test_too_long_a_text_is_refused_before_it_is_read() -> None:
    with pytest.raises(CommandSyntaxError, match=f"at most {MAX_TEXT} are read") as raised:
        parse("buy btc 80 " + "x" * MAX_TEXT)
    assert raised.value.column == MAX_TEXT + 1


def test_without_configured_exchanges_any_well_formed_name_is_taken() -> None:
    free = LanguageContext(ALIASES, None)
    assert parse_command("buy btc 80 -e mexc", free) == OpenTrade(BUY, "BTCUSDT", D(80), exchange="mexc")
    assert parse_command("buy btc 80", free) == OpenTrade(BUY, "BTCUSDT", D(80))  # the service picks the default
    with pytest.raises(CommandSyntaxError, match="an exchange name"):
        parse_command("buy btc 80 -e ex/change", free)
    with pytest.raises(CommandSyntaxError, match="no default exchange is configured"):
        parse_command("subscribe btc", free)


def test_configured_exchange_names_keep_their_spelling() -> None:
    mixed = LanguageContext(ALIASES, "Sim", ("Sim", "ByBit"))
    assert parse_command("buy btc 80 -e bybit", mixed) == OpenTrade(BUY, "BTCUSDT", D(80), exchange="ByBit")


@pytest.mark.parametrize(
    ("word", "exchange", "symbol"),
    [
        ("btc", None, "BTCUSDT"),
        ("btc", "kraken", "XBTUSDT"),
        ("BTC", "bybit", "BTCUSDT"),
        ("doge", "bybit", "DOGEUSDT"),
        ("solusdc", None, "SOLUSDC"),
        ("ethbtc", None, "ETHBTC"),
        ("usdt", None, "USDTUSDT"),  # not longer than a quote: the rule appends
    ],
)
def test_aliases_resolve_per_exchange_and_unlisted_words_by_the_rule(
    word: str, exchange: str | None, symbol: str
) -> None:
    assert ALIASES.symbol(word, exchange) == symbol


def test_help_covers_every_command() -> None:
    assert [h.word for h in HELP] == list(COMMANDS)
    everything = help_text(None)
    for h in HELP:
        assert h.usage in everything
        assert h.example in help_text(h.word)
        assert isinstance(parse(h.example), type(parse(h.example)))  # every example parses


# -- only CommandSyntaxError, whatever the input ----------------------------------------------------------------

VOCABULARY = [
    *COMMANDS, *TWAP_VERBS, *TWAP_KEYWORDS, *UNITS, *(name for flag in FLAGS for name in flag.names),
    "all", "btc", "eth", "doge", "BTCUSDT", "sim", "bybit", "kraken", "nope", "spot", "linear", "ab12",
    "80", "0.5", "1.5", "-1", "0", "1e3", "1e400", "2.8%", "%", "NaN", "Infinity", "1_0", "\u0661", "2h", "1m",
    "1h30m", "90s", "0s", "1000d", "65000", "12", "", "-", "--", "-5", ".5", "-.5", "9" * 60,
]  # fmt: skip


def _check(text: str) -> None:
    try:
        command = parse(text)
    except CommandSyntaxError as error:
        assert 1 <= error.column <= len(text) + 2
        assert str(error).startswith(f"column {error.column}: ")
    else:
        assert isinstance(command, Command.__args__)  # type: ignore[attr-defined]


@settings(max_examples=500)
@given(st.text(max_size=80))
def test_random_text_raises_nothing_but_a_syntax_error(text: str) -> None:
    _check(text)


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(VOCABULARY), max_size=12), st.sampled_from([" ", "  ", "\t", " \u3000 "]))
def test_random_sentences_of_the_vocabulary_raise_nothing_but_a_syntax_error(words: list[str], gap: str) -> None:
    _check(gap.join(words))


@given(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=6))
def test_random_words_after_a_good_command_raise_nothing_but_a_syntax_error(words: list[str]) -> None:
    _check("twap buy btc 1.5 over 2h every 1m " + " ".join(words))
    _check("buy btc 80 " + " ".join(words))
