"""The service registry: names, health ports and their overrides, reserved names."""

from __future__ import annotations

import pytest

from tradewind.bootstrap import registry
from tradewind.bootstrap.registry import (
    SERVICES,
    ServiceEntry,
    ServiceUnavailable,
    available_services,
    builder,
    health_port,
    service_names,
)
from tradewind.settings import ConfigError, load_settings


def test_every_service_has_its_own_name_and_health_port() -> None:
    assert len(set(service_names())) == len(SERVICES)
    assert len({entry.health_port for entry in SERVICES}) == len(SERVICES)


def test_exactly_one_service_migrates_the_database() -> None:
    assert [entry.name for entry in SERVICES if entry.migrates] == ["storage"]


def test_a_port_override_by_yaml_key_or_service_name_wins_over_the_default() -> None:
    settings = load_settings(None, distributed={"ports": {"twap_scheduler": 0, "storage": 19103}})
    assert health_port(settings, "twap-scheduler") == 0
    assert health_port(settings, "storage") == 19103
    assert health_port(settings, "gateway") == 9104


def test_a_port_for_no_such_service_is_refused_naming_it() -> None:
    settings = load_settings(None, distributed={"ports": {"stroage": 9103}})
    with pytest.raises(ConfigError, match="'stroage'"):
        health_port(settings, "storage")


def test_the_gateway_reaches_each_service_at_its_host_and_health_port() -> None:
    settings = load_settings(
        None, distributed={"service_hosts": {"twap_ordering": "ordering.local"}, "ports": {"storage": 19103}}
    )
    urls = dict(registry.service_urls(settings))
    assert list(urls) == list(available_services())
    assert urls["twap-ordering"] == "http://ordering.local:9106"
    assert urls["storage"] == "http://127.0.0.1:19103"
    with pytest.raises(ConfigError, match="'stroage'"):
        registry.service_urls(load_settings(None, distributed={"service_hosts": {"stroage": "db"}}))


def test_the_consumed_queues_follow_the_settings() -> None:
    settings = load_settings(None, recorder={"queue": "rec.md"}, trader={"queue": "sig.q"})
    assert registry.consumed_queues(settings) == ("rec.md", "twap.slice", "sig.q", "lake.md", "rpc:rpc.orders")


def test_the_notices_queue_is_listed_when_a_chat_is_notified() -> None:
    ada = {"name": "ada", "telegram_chats": [42]}
    notified = load_settings(None, commands={"users": [ada]}, telegram={"notify_queue": "tg.notices"})
    assert registry.consumed_queues(notified)[-1] == "tg.notices"
    for quiet in (
        load_settings(None, commands={"users": [{**ada, "notify": False}]}),  # no chat to notify
        load_settings(None, commands={"users": [ada]}, telegram={"notify": False}),  # notices off
        load_settings(None),  # no user at all
    ):
        assert "telegram.notices" not in registry.consumed_queues(quiet)


def test_a_port_out_of_range_is_refused_at_load() -> None:
    with pytest.raises(ConfigError, match="ports"):
        load_settings(None, distributed={"ports": {"storage": 70000}})


@pytest.mark.parametrize(("name", "message"), [("future", "reserved"), ("bogus", "unknown service")])
def test_a_reserved_or_unknown_service_cannot_be_built(
    name: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every service of today has a builder: a name reserved for a workflow to come is added for the test.
    monkeypatch.setitem(registry._BY_NAME, "future", ServiceEntry("future", 9199, "a workflow to come"))
    with pytest.raises(ServiceUnavailable, match=message):
        builder(name)


def test_the_available_services_are_the_ones_with_a_builder() -> None:
    assert set(available_services()) == {entry.name for entry in SERVICES if entry.build is not None}
    assert "twap-ordering" in available_services()
