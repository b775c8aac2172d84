"""Listing services on a real database: lifecycle, events, rules, expiry."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from market import clock
from market.errors import Conflict, DomainError, Forbidden
from market.extensions import db
from market.listings import services
from market.listings.models import DemandListing, ListingEventRow, SupplyListing
from market.listings.states import ListingStatus
from tests import factories

TODAY = clock.today()


def events_of(listing) -> list[tuple[str, str | None, str]]:
    key = "supply_listing_id" if isinstance(listing, SupplyListing) else "demand_listing_id"
    rows = db.session.execute(
        db.select(ListingEventRow).filter_by(**{key: listing.id}).order_by(ListingEventRow.id)
    ).scalars()
    return [(r.event, r.from_status, r.to_status) for r in rows]


def test_every_status_change_leaves_one_event_row(world):
    lot = factories.supply(world.generator)
    services.withdraw(world.generator, lot)
    assert events_of(lot) == [
        ("create", None, "draft"),
        ("publish", "draft", "open"),
        ("withdraw", "open", "withdrawn"),
    ]
    assert lot.published_at is not None


def test_a_listing_records_the_code_edition_it_used(world):
    lot = factories.supply(world.generator)
    assert lot.edition.scheme == "HW" and lot.edition.name == "2021"
    isw = factories.supply(world.generator, waste_code="ISW-17-01-01")
    assert isw.edition.scheme == "ISW" and isw.edition.park_id == world.generator.enterprise.park_id


def test_units_other_than_tonnes_convert_with_the_given_weight(world):
    lot = factories.supply(world.generator, unit="m3", kg_per_unit=850, quantity=Decimal("12"))
    assert lot.quantity_kg == 10_200 and lot.unit == "m3"


def test_park_catalogue_codes_resolve_to_the_users_own_park(world):
    east = factories.user(factories.enterprise(("generator",), park_slug="east"))
    lot = factories.supply(east, waste_code="ISW-17-01-01")
    assert lot.waste_code.edition.park_id == factories.park("east").id


def test_a_code_only_in_another_parks_catalogue_is_refused(world):
    from market.catalog.services import resolve_code

    east = factories.park("east")
    row = resolve_code("ISW-17-01-01", east.id)
    # Only the north park's edition remains current: east users may not use it.
    row.edition.retired_on = TODAY
    db.session.flush()
    with pytest.raises(DomainError) as info:
        resolve_code("ISW-17-01-01", east.id)
    assert info.value.field == "waste_code"


def test_hazardous_demand_needs_a_licence_covering_each_code(world):
    with pytest.raises(DomainError) as info:
        factories.demand(world.recycler, waste_codes=["900-214-08"])
    assert info.value.field == "licence_id"
    licence = world.recycler.enterprise.licences[0]
    with pytest.raises(DomainError) as info:
        factories.demand(world.recycler, waste_codes=["900-041-49"], licence_id=licence.id)
    assert "900-041-49" in info.value.message
    ok = factories.demand(world.recycler, waste_codes=["900-214-08"], licence_id=licence.id)
    assert [c.code for c in ok.codes] == ["900-214-08"]


def test_an_expired_licence_does_not_carry_hazardous_demand(world):
    expired = factories.licence(
        world.recycler.enterprise,
        codes=["900-214-08"],
        valid_from=TODAY - timedelta(days=400),
        valid_until=TODAY - timedelta(days=1),
    )
    with pytest.raises(DomainError):
        factories.demand(world.recycler, waste_codes=["900-214-08"], licence_id=expired.id)


def test_another_enterprises_licence_cannot_be_used(world):
    rival = factories.enterprise(("recycler",))
    theirs = factories.licence(rival)
    with pytest.raises(DomainError) as info:
        factories.demand(world.recycler, waste_codes=["ISW-17-01-01"], licence_id=theirs.id)
    assert info.value.field == "licence_id"


def test_demand_capacity_cannot_exceed_the_licence(world):
    licence = world.recycler.enterprise.licences[0]  # 5,000 t/yr
    with pytest.raises(DomainError) as info:
        factories.demand(
            world.recycler, licence_id=licence.id, remaining_capacity_t=Decimal("5001")
        )
    assert info.value.field == "remaining_capacity_t"


@pytest.mark.parametrize("who", ["recycler", "transporter", "admin"])
def test_only_generators_post_supply(world, who):
    with pytest.raises(Forbidden):
        factories.supply(getattr(world, who))


def test_only_the_owner_changes_a_listing(world):
    lot = factories.supply(world.generator)
    for stranger in (world.other, world.recycler, world.admin):
        with pytest.raises(Forbidden):
            services.withdraw(stranger, lot)
        with pytest.raises(Forbidden):
            services.update_supply(stranger, lot, factories.supply_input(title="x"))
    assert lot.status == ListingStatus.OPEN


def test_a_failed_edit_leaves_the_row_as_it_was(world):
    lot = factories.supply(world.generator)
    db.session.commit()
    with pytest.raises(DomainError):
        services.update_supply(
            world.generator, lot, factories.supply_input(title="新标题", quantity=Decimal("-1"))
        )
    db.session.rollback()
    assert db.session.get(SupplyListing, lot.id).title == "废机油 5 吨"


def test_withdrawn_listings_cannot_be_edited_or_republished(world):
    lot = factories.supply(world.generator)
    services.withdraw(world.generator, lot)
    with pytest.raises(Conflict):
        services.update_supply(world.generator, lot, factories.supply_input())
    with pytest.raises(Conflict):
        services.publish(world.generator, lot)


def test_a_concurrent_change_is_a_conflict_not_a_lost_update(world):
    lot = factories.supply(world.generator)
    db.session.commit()
    # Another worker withdraws the lot after we loaded it.
    db.session.execute(
        update(SupplyListing)
        .where(SupplyListing.id == lot.id)
        .values(status="withdrawn")
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(Conflict):
        services.transition(lot, services.ListingEvent.EXPIRE, None)


def test_listings_past_their_end_date_expire(world):
    due = factories.supply(world.generator, available_until=TODAY + timedelta(days=1))
    fresh = factories.supply(world.generator, available_until=TODAY + timedelta(days=30))
    demand = factories.demand(world.recycler, available_until=TODAY + timedelta(days=1))
    assert services.expire_due(TODAY + timedelta(days=2)) == 2
    assert (due.status, fresh.status, demand.status) == ("expired", "open", "expired")
    assert events_of(due)[-1] == ("expire", "open", "expired")
    assert services.expire_due(TODAY + timedelta(days=2)) == 0


def test_an_open_listing_expires_when_looked_at_after_its_end(world):
    lot = factories.supply(world.generator, available_until=TODAY + timedelta(days=1))
    services.expire_if_due(lot, TODAY + timedelta(days=5))
    assert lot.status == "expired"


def test_a_past_end_date_cannot_be_published(world):
    lot = factories.supply(
        world.generator,
        publish=False,
        available_from=TODAY - timedelta(days=10),
        available_until=TODAY - timedelta(days=1),
    )
    with pytest.raises(Conflict):
        services.publish(world.generator, lot)


def test_the_schema_refuses_what_the_services_would(world):
    """Check constraints hold even for code that bypasses the services."""
    from sqlalchemy.exc import IntegrityError

    lot = factories.supply(world.generator)
    db.session.commit()
    for values in (
        {"quantity_kg": 0},
        {"lat": 60.0},
        {"asking_price_fen": 10**12},
        {"unit": "barrel"},
    ):
        with pytest.raises(IntegrityError):
            db.session.execute(
                update(SupplyListing).where(SupplyListing.id == lot.id).values(**values)
            )
            db.session.flush()
        db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(update(DemandListing).values(service_radius_km=0))
        db.session.execute(db.insert(ListingEventRow).values(event="x", to_status="open"))
        db.session.flush()
    db.session.rollback()
