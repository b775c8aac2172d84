"""At 23:30 UTC it is already the next day in Beijing: expiry, licences and form defaults
follow Beijing's calendar. The clock is set years away from the real date, so a check
that read the server's own date would fail these tests."""

from datetime import UTC, date, datetime, timedelta

import pytest

from market import clock
from market.listings import services
from market.listings.forms import DemandForm, SupplyForm
from market.listings.states import ListingStatus
from tests import factories

BEIJING_DAY = date(2031, 3, 15)
UTC_DAY = date(2031, 3, 14)
LATE = datetime(2031, 3, 14, 23, 30, tzinfo=UTC)  # 07:30 on the 15th in Beijing
AFTERNOON = datetime(2031, 3, 14, 6, 0, tzinfo=UTC)  # 14:00 on the 14th in Beijing


@pytest.fixture()
def set_clock(monkeypatch):
    def set_to(at: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: at)

    return set_to


def _lots(world, set_clock):
    """Two open lots made on the 14th: one ends on the 14th, one on the 15th."""
    set_clock(AFTERNOON)
    start = UTC_DAY - timedelta(days=5)
    ends_utc_day = factories.supply(world.generator, available_from=start, available_until=UTC_DAY)
    ends_beijing_day = factories.supply(
        world.generator, available_from=start, available_until=BEIJING_DAY
    )
    set_clock(LATE)
    return ends_utc_day, ends_beijing_day


def test_at_2330_utc_the_business_day_is_beijings(set_clock):
    set_clock(LATE)
    assert clock.today() == BEIJING_DAY


def test_expire_due_keeps_a_lot_ending_on_the_beijing_day_open(world, set_clock):
    ended, today = _lots(world, set_clock)
    assert services.expire_due() == 1
    assert today.status == ListingStatus.OPEN
    assert ended.status == ListingStatus.EXPIRED  # its last day, the 14th, is over in Beijing


def test_the_check_on_access_follows_the_beijing_day(world, set_clock):
    ended, today = _lots(world, set_clock)
    services.expire_if_due(today)
    services.expire_if_due(ended)
    assert today.status == ListingStatus.OPEN
    assert ended.status == ListingStatus.EXPIRED


def test_a_licence_starting_on_the_beijing_day_covers_a_new_demand_listing(world, set_clock):
    set_clock(LATE)
    recycler = factories.user(factories.enterprise(("recycler",)))
    licence = factories.licence(
        recycler.enterprise,
        valid_from=BEIJING_DAY,
        valid_until=BEIJING_DAY + timedelta(days=365),
    )
    starts = DemandForm(formdata=None).available_from.data  # what the form offers
    demand = factories.demand(
        recycler, waste_codes=["900-214-08"], licence_id=licence.id, available_from=starts
    )
    assert demand.available_from == BEIJING_DAY
    assert demand.status == ListingStatus.OPEN


def test_form_defaults_show_the_beijing_day(ctx, set_clock):
    set_clock(LATE)
    supply, demand = SupplyForm(formdata=None), DemandForm(formdata=None)
    assert supply.available_from.data == BEIJING_DAY
    assert supply.available_until.data == BEIJING_DAY + timedelta(days=30)
    assert demand.available_from.data == BEIJING_DAY
    assert demand.available_until.data == BEIJING_DAY + timedelta(days=365)


def test_a_new_page_shows_the_beijing_day(client, world, set_clock):
    from tests.conftest import login

    set_clock(LATE)
    login(client, world.generator)
    page = client.get("/listings/supply/new").get_data(as_text=True)
    assert f'value="{BEIJING_DAY.isoformat()}"' in page
    assert f'value="{UTC_DAY.isoformat()}"' not in page
