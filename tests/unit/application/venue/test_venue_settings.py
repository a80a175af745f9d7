from decimal import Decimal

import pytest
from pydantic import ValidationError

from tradewind.application.venue import VenueSettings
from tradewind.domain.values import Category

D = Decimal


def test_yaml_shaped_accounts_parse_to_exact_decimals() -> None:
    settings = VenueSettings.model_validate(
        {
            "accounts": [{"api_key": "bot-1", "api_secret": "s3cret", "balances": {"USDT": "250.10", "BTC": 0.1}}],
            "fees": {"spot": {"maker": "0.0008", "taker": "0.001"}},
        }
    )
    (account,) = settings.accounts
    assert account.balances == {"USDT": D("250.10"), "BTC": D("0.1")}
    assert account.api_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.fees[Category.SPOT].maker == D("0.0008")
    assert settings.fees[Category.LINEAR].taker == D("0.00055")  # left out: the default


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"accounts": [{"api_key": "a", "api_secret": "x"}, {"api_key": "a", "api_secret": "y"}]}, "duplicate api_key"),
        ({"accounts": [{"api_key": "a", "api_secret": "x", "balances": {"USDT": "-1"}}]}, "balance of USDT"),
        ({"accounts": [{"api_key": "a", "api_secret": "x", "balances": {"usdt": "1"}}]}, "upper-case"),
        ({"accounts": [{"api_key": "a", "api_secret": ""}]}, "api_secret must not be empty"),
        ({"accounts": [{"api_key": "a b", "api_secret": "x"}]}, "api_key"),
        ({"acounts": []}, "acounts"),
        ({"fees": {"spot": {"maker": "0.2", "taker": "0.001"}}}, "maker"),
        ({"default_leverage": "50", "max_leverage": "20"}, "default_leverage"),
    ],
)
def test_bad_venue_settings_name_what_is_wrong(data: dict[str, object], needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        VenueSettings.model_validate(data)
