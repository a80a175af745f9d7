from collections.abc import Sequence

import pytest

from tradewind.application.venue import SimVenue, VenueEvent

from .venue_support import make_venue


@pytest.fixture
def venue() -> SimVenue:
    return make_venue()


@pytest.fixture
def events(venue: SimVenue) -> list[Sequence[VenueEvent]]:
    batches: list[Sequence[VenueEvent]] = []
    venue.subscribe(batches.append)
    return batches
