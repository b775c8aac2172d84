"""How stale a ranking can be (README, market/matching/service.py): changes made in
this process show at once; changes committed by another worker show once the
refresh interval has passed; a credit grade published by another worker shows at once."""

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import update

from market.accounts.models import Enterprise
from market.db import utcnow
from market.deals.models import Deal
from market.extensions import db
from market.listings.models import DemandListing
from market.matching import service
from tests import factories


@pytest.fixture()
def intervals():
    config = current_app.config
    old = (config.get("MATCHING_REFRESH_SECONDS"), config.get("MATCHING_REBUILD_SECONDS"))
    yield config
    config["MATCHING_REFRESH_SECONDS"], config["MATCHING_REBUILD_SECONDS"] = old


def ids(lot):
    return [m.id for m in service.rank_demand_for(lot).matches]


def test_this_process_sees_its_own_changes_at_once(world, intervals):
    intervals["MATCHING_REFRESH_SECONDS"] = 3600
    lot = factories.supply(world.generator, waste_code="ISW-17-01-01")
    first = factories.demand(world.recycler)
    assert ids(lot) == [first.id]
    from market.listings import services

    services.withdraw(world.recycler, first)
    assert ids(lot) == []


def _other_worker_opens(listing_id: int) -> None:
    """Another process publishes: the row changes, this process is not told."""
    db.session.execute(
        update(DemandListing)
        .where(DemandListing.id == listing_id)
        .values(status="open", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def test_another_workers_change_shows_after_the_refresh_interval(world, intervals):
    intervals["MATCHING_REFRESH_SECONDS"] = 3600
    lot = factories.supply(world.generator, waste_code="ISW-17-01-01")
    draft = factories.demand(world.recycler, publish=False)
    db.session.commit()
    assert ids(lot) == []
    _other_worker_opens(draft.id)
    assert ids(lot) == []  # stale: within the refresh interval
    intervals["MATCHING_REFRESH_SECONDS"] = 0
    assert ids(lot) == [draft.id]


def test_a_change_stamped_before_the_last_read_but_committed_later_is_not_lost(world, intervals):
    intervals["MATCHING_REFRESH_SECONDS"] = 0
    lot = factories.supply(world.generator, waste_code="ISW-17-01-01")
    draft = factories.demand(world.recycler, publish=False)
    db.session.commit()
    assert ids(lot) == []
    # Stamped 30 s ago (a slow transaction), committed only now: inside the 60 s margin.
    db.session.execute(
        update(DemandListing)
        .where(DemandListing.id == draft.id)
        .values(status="open", updated_at=utcnow() - timedelta(seconds=30))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    assert ids(lot) == [draft.id]


def test_a_grade_published_by_another_worker_moves_the_ranking_at_once(world, intervals):
    """No refresh interval, no rebuild: the grade version tells this process."""
    intervals["MATCHING_REFRESH_SECONDS"] = 3600
    intervals["MATCHING_REBUILD_SECONDS"] = 3600
    # The demand first: publishing the lot ranks (its match notices), which builds this
    # process's index; the demand must be in it before its updated_at is set back.
    demand = factories.demand(world.recycler)
    lot = factories.supply(world.generator, waste_code="ISW-17-01-01")
    db.session.execute(
        update(DemandListing)
        .values(updated_at=utcnow() - timedelta(minutes=5))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    assert ids(lot) == [demand.id]
    recycler = db.session.get(Enterprise, world.recycler.enterprise_id)
    factories.graded(recycler, "D", tell=True)  # another worker: no mark_dirty here
    db.session.commit()
    assert ids(lot) == []  # D is excluded from the ranking at once


def test_without_the_version_a_grade_written_behind_its_back_waits(world, intervals):
    """The control for the test above: the version is what carries the news."""
    intervals["MATCHING_REFRESH_SECONDS"] = 3600
    intervals["MATCHING_REBUILD_SECONDS"] = 3600
    lot = factories.supply(world.generator, waste_code="ISW-17-01-01")
    demand = factories.demand(world.recycler)
    db.session.commit()
    assert ids(lot) == [demand.id]
    recycler = db.session.get(Enterprise, world.recycler.enterprise_id)
    factories.graded(recycler, "D", tell=False)
    db.session.commit()
    assert ids(lot) == [demand.id]  # not told
    intervals["MATCHING_REBUILD_SECONDS"] = 0
    assert ids(lot) == [demand.id]  # the rebuild now due runs beside; this one is answered
    for thread in list(service._rebuilds.values()):
        thread.join(timeout=60)
    intervals["MATCHING_REBUILD_SECONDS"] = 3600
    assert ids(lot) == []  # from the rebuilt index


def _capacity_part(lot, demand_id):
    return next(m.capacity for m in service.rank_demand_for(lot).matches if m.id == demand_id)


def test_drawing_and_giving_back_capacity_marks_the_index_dirty_itself(world, intervals):
    """Not only through the lot's transition that follows in accept_bid / cancel_deal:
    the capacity change itself tells this process's index."""
    from market.deals import services as deals

    intervals["MATCHING_REFRESH_SECONDS"] = 3600
    recycler = factories.bidder(capacity_t="12")
    demand_id = db.session.execute(
        db.select(DemandListing.id).filter_by(enterprise_id=recycler.enterprise_id)
    ).scalar_one()
    ranked = factories.steel_lot(world.generator)  # 20 t: the capacity part is remaining / 20 t
    other = factories.steel_lot(world.generator, title="另一批边角料")
    bid = factories.bid(recycler, other, quantity="5")
    db.session.commit()
    assert _capacity_part(ranked, demand_id) == pytest.approx(12 / 20)
    deals._draw_capacity(bid)
    assert _capacity_part(ranked, demand_id) == pytest.approx(7 / 20)
    deals._restore_capacity(Deal(demand_listing_id=demand_id, quantity_kg=5_000))
    assert _capacity_part(ranked, demand_id) == pytest.approx(12 / 20)


def test_a_deal_and_its_cancellation_show_in_the_ranking_at_once(world, intervals):
    from market.deals import services as deals

    intervals["MATCHING_REFRESH_SECONDS"] = 3600
    recycler = factories.bidder(capacity_t="12")
    demand_id = db.session.execute(
        db.select(DemandListing.id).filter_by(enterprise_id=recycler.enterprise_id)
    ).scalar_one()
    ranked = factories.steel_lot(world.generator)
    other = factories.steel_lot(world.generator, title="另一批边角料")
    db.session.commit()
    assert _capacity_part(ranked, demand_id) == pytest.approx(12 / 20)
    bid = factories.bid(recycler, other, quantity="5")
    db.session.commit()
    deal = deals.accept_bid(world.generator, bid.id)
    db.session.commit()
    assert _capacity_part(ranked, demand_id) == pytest.approx(7 / 20)
    deals.cancel_deal(world.generator, deal.id)
    db.session.commit()
    assert _capacity_part(ranked, demand_id) == pytest.approx(12 / 20)


# With Redis (the production profile): change notices instead of polling.


def _notices() -> int:
    from market import notices

    return notices.listings_version()


def test_with_redis_another_workers_change_shows_on_its_notice_not_by_polling(
    world, intervals, redis_on
):
    from market import notices

    intervals["MATCHING_REFRESH_SECONDS"] = 0  # polling would re-read on every ranking
    lot = factories.supply(world.generator, waste_code="ISW-17-01-01")
    draft = factories.demand(world.recycler, publish=False)
    db.session.commit()
    assert ids(lot) == []
    _other_worker_opens(draft.id)
    assert ids(lot) == []  # no notice yet: no re-read, however often it ranks
    notices.announce_listings()  # what the other worker's commit sends
    assert ids(lot) == [draft.id]


def test_a_commit_that_changed_listings_sends_one_notice_after_it(world, redis_on):
    from market.listings import services

    demand = factories.demand(world.recycler)
    db.session.commit()
    before = _notices()
    services.withdraw(world.recycler, demand)
    assert _notices() == before  # not before the commit: another worker would read too early
    db.session.commit()
    assert _notices() == before + 1
    db.session.commit()  # a later commit that changed no listing says nothing
    assert _notices() == before + 1


def test_with_redis_unreachable_the_index_polls_as_without_it(world, intervals, redis_down):
    intervals["MATCHING_REFRESH_SECONDS"] = 0
    lot = factories.supply(world.generator, waste_code="ISW-17-01-01")
    draft = factories.demand(world.recycler, publish=False)
    db.session.commit()
    assert _notices() is None
    assert ids(lot) == []
    _other_worker_opens(draft.id)
    assert ids(lot) == [draft.id]


def test_a_worker_builds_its_index_in_the_background_as_it_starts(app, world):
    lot = factories.supply(world.generator, waste_code="ISW-17-01-01")
    demand = factories.demand(world.recycler)
    db.session.commit()
    service.reset()
    service.warm_in_background(app).join(timeout=60)
    assert len(service._states) == 1
    built = next(iter(service._states.values())).built_at
    assert ids(lot) == [demand.id]  # the warmed index answers; nothing was built again
    assert next(iter(service._states.values())).built_at == built


def test_a_large_index_freezes_what_survives_its_build(app, world, monkeypatch):
    """Past FREEZE_FROM listings a build ends with gc.freeze(), so full collections stop
    walking the index (0.47 s each at a million listings); below it nothing is frozen."""
    import gc

    factories.supply(world.generator, waste_code="ISW-17-01-01")
    factories.demand(world.recycler)
    db.session.commit()
    gc.unfreeze()
    try:
        service.reset()
        ids_of = service.rank_demand_for  # any ranking builds the index
        lot = db.session.execute(db.select(service.SupplyListing)).scalars().first()
        ids_of(lot)
        assert gc.get_freeze_count() == 0  # two listings: not worth it
        monkeypatch.setattr(service, "FREEZE_FROM", 2)
        service.reset()
        ids_of(lot)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
