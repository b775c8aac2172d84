"""Licence review and suspension on a real database: only approved licences cover
hazardous codes in matching and bidding; a suspended enterprise is hidden and blocked."""

from decimal import Decimal

import pytest

from market.accounts import licences
from market.accounts.models import EnterpriseEventRow, LicenceEventRow
from market.credit.files import Upload
from market.errors import Conflict, DomainError, Forbidden
from market.extensions import db
from market.listings import queries
from market.listings.models import DemandListing
from market.listings.queries import BrowseFilter
from market.matching import service as matching
from tests import factories

PDF = Upload("licence.pdf", b"%PDF-1.4\n% a licence\n")


@pytest.fixture(autouse=True)
def _documents(app, tmp_path):
    app.config["LICENCE_DOCUMENT_DIR"] = str(tmp_path / "licences")
    yield
    app.config["LICENCE_DOCUMENT_DIR"] = ""


def _ranked_enterprises(lot) -> set[int]:
    ids = {m.id for m in matching.rank_demand_for(lot, k=50).matches}
    rows = db.session.scalars(db.select(DemandListing).where(DemandListing.id.in_(ids)))
    return {r.enterprise_id for r in rows}


def _pending_bidder(code="900-214-08"):
    """A recycler whose licence for `code` awaits review, with a demand listing on it."""
    e = factories.enterprise(("recycler",))
    u = factories.user(e)
    lic = licences.submit_licence(
        u, factories.accounts.LicenceInput(
            number=f"HW-P-{e.id}", codes=[code], capacity_kg_per_year=5_000_000,
            valid_from=factories.clock.today(), valid_until=factories.clock.today().replace(
                year=factories.clock.today().year + 1)),
        PDF,
    )  # fmt: skip
    factories.demand(u, waste_codes=[code], licence_id=lic.id, remaining_capacity_t=Decimal(50))
    db.session.flush()
    return u, lic


def test_a_pending_licence_does_not_match_or_bid_hazardous_codes_and_says_why(world):
    lot = factories.supply(world.generator)  # 900-214-08, hazardous
    bidder, lic = _pending_bidder()
    assert lic.status == "pending" and lic.document_mime == "application/pdf"
    assert bidder.enterprise_id not in _ranked_enterprises(lot)
    with pytest.raises(DomainError) as info:
        factories.bid(bidder, lot)
    assert "awaiting" in info.value.message or "审核" in info.value.message
    licences.approve_licence(world.admin, lic, "证件核对无误")
    assert bidder.enterprise_id in _ranked_enterprises(lot)
    assert factories.bid(bidder, lot).status == "active"
    events = db.session.scalars(db.select(LicenceEventRow).filter_by(licence_id=lic.id))
    assert [(e.event, e.to_status) for e in events] == [
        ("submit", "pending"),
        ("approve", "approved"),
    ]


def test_a_rejected_licence_keeps_its_reason_and_can_be_resubmitted(world):
    bidder, lic = _pending_bidder()
    with pytest.raises(DomainError) as info:
        licences.reject_licence(world.admin, lic, "  ")
    assert info.value.field == "note"
    licences.reject_licence(world.admin, lic, "扫描件模糊，无法辨认有效期")
    assert lic.status == "rejected" and "模糊" in lic.review_note
    data = factories.accounts.LicenceInput(
        number=lic.number, codes=["900-214-08"], capacity_kg_per_year=4_000_000,
        valid_from=lic.valid_from, valid_until=lic.valid_until,
    )  # fmt: skip
    with pytest.raises(DomainError):
        licences.resubmit_licence(bidder, lic.id, data, None)
    licences.resubmit_licence(bidder, lic.id, data, Upload("new.png", b"\x89PNG\r\n\x1a\nX"))
    assert lic.status == "pending" and lic.review_note == "" and lic.document_mime == "image/png"
    with pytest.raises(Conflict):  # pending: nothing to re-submit
        licences.resubmit_licence(bidder, lic.id, data, PDF)


def test_a_resubmitted_licence_may_take_a_new_number_but_not_anothers(world):
    bidder, lic = _pending_bidder()
    licences.reject_licence(world.admin, lic, "过期")
    taken = world.recycler.enterprise.licences[0].number
    data = factories.accounts.LicenceInput(
        number=taken, codes=["900-214-08"], capacity_kg_per_year=4_000_000,
        valid_from=lic.valid_from, valid_until=lic.valid_until,
    )  # fmt: skip
    with pytest.raises(Conflict) as info:
        licences.resubmit_licence(bidder, lic.id, data, PDF)
    assert info.value.field == "number"
    data.number = "HW-RENEWED-2027"
    assert licences.resubmit_licence(bidder, lic.id, data, PDF).number == "HW-RENEWED-2027"


def test_an_approved_licence_is_resubmitted_only_once_expired(world):
    bidder, lic = _pending_bidder()
    licences.approve_licence(world.admin, lic)
    data = factories.accounts.LicenceInput(
        number=lic.number, codes=["900-214-08"], capacity_kg_per_year=4_000_000,
        valid_from=lic.valid_from, valid_until=lic.valid_until,
    )  # fmt: skip
    with pytest.raises(Conflict):
        licences.resubmit_licence(bidder, lic.id, data, PDF)


def test_the_document_must_be_a_pdf_or_photo(world):
    u = factories.user(factories.enterprise(("recycler",)))
    data = factories.accounts.LicenceInput(
        number="HW-X", codes=["900-214-08"], capacity_kg_per_year=1000,
        valid_from=factories.clock.today(), valid_until=factories.clock.today(),
    )  # fmt: skip
    with pytest.raises(DomainError) as info:
        licences.submit_licence(u, data, Upload("a.exe", b"MZ\x90\x00"))
    assert info.value.field == "document"


def test_another_parks_administrator_cannot_review(world):
    _bidder, lic = _pending_bidder()
    with pytest.raises(DomainError) as info:
        licences.park_licence(world.admin_elsewhere, lic.id)
    assert info.value.status == 404
    assert lic in licences.review_queue(world.admin)
    assert lic not in licences.review_queue(world.admin_elsewhere)


def test_suspension_hides_listings_and_blocks_posting_and_bidding(world):
    lot = factories.supply(world.generator)
    bidder = factories.bidder(codes=("900-214-08",))
    db.session.commit()
    licences.suspend_enterprise(world.admin, world.generator.enterprise_id, "环保检查整改中")
    everyone = queries.browse(world.recycler, BrowseFilter(kind="supply"))
    assert lot.id not in {r.id for r in everyone.items}
    assert not queries.can_view(world.recycler, lot)
    assert queries.can_view(world.generator, lot) and queries.can_view(world.admin, lot)
    with pytest.raises(Conflict):
        factories.bid(bidder, lot)
    with pytest.raises(Forbidden) as info:
        factories.supply(world.generator)
    assert "环保检查整改中" in info.value.message
    # a suspended bidder may not bid either
    licences.suspend_enterprise(world.admin, bidder.enterprise_id, "资质复核")
    with pytest.raises(Forbidden):
        factories.bid(bidder, factories.supply(world.other))
    licences.reinstate_enterprise(world.admin, world.generator.enterprise_id)
    assert lot.id in {r.id for r in queries.browse(world.recycler, BrowseFilter()).items}
    events = db.session.scalars(
        db.select(EnterpriseEventRow).filter_by(enterprise_id=world.generator.enterprise_id)
    )
    assert [(e.event, e.note) for e in events] == [
        ("suspend", "环保检查整改中"),
        ("reinstate", ""),
    ]
    with pytest.raises(Conflict):
        licences.reinstate_enterprise(world.admin, world.generator.enterprise_id)


def test_no_new_deal_while_either_side_is_suspended(world):
    from market.deals import services as deals
    from market.deals.models import Deal

    lot = factories.steel_lot(world.generator)
    bidder = factories.bidder()
    bid = factories.bid(bidder, lot, price="2300", quantity="20")
    db.session.commit()
    licences.suspend_enterprise(world.admin, world.generator.enterprise_id, "环保检查整改中")
    db.session.commit()
    with pytest.raises(Forbidden) as info:
        deals.accept_bid(world.generator, bid.id)
    assert "环保检查整改中" in info.value.message
    db.session.rollback()
    licences.reinstate_enterprise(world.admin, world.generator.enterprise_id)
    licences.suspend_enterprise(world.admin, bidder.enterprise_id, "资质复核")
    db.session.commit()
    with pytest.raises(Conflict):
        deals.accept_bid(world.generator, bid.id)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Deal.id))) == 0
    licences.reinstate_enterprise(world.admin, bidder.enterprise_id)
    assert deals.accept_bid(world.generator, bid.id).bid_id == bid.id


def test_a_suspended_enterprises_demand_leaves_the_matching_index(world):
    lot = factories.supply(world.generator)
    bidder = factories.bidder(codes=("900-214-08",))
    assert bidder.enterprise_id in _ranked_enterprises(lot)
    licences.suspend_enterprise(world.admin, bidder.enterprise_id, "停业整顿")
    assert bidder.enterprise_id not in _ranked_enterprises(lot)


def test_another_workers_approval_reaches_this_index_after_the_refresh_interval(world, monkeypatch):
    """The approval stamps the licence's demand listings, so a worker that was not told
    (no mark_dirty here) re-reads them at its next refresh."""
    config = matching.current_app.config
    old = config["MATCHING_REFRESH_SECONDS"]
    lot = factories.supply(world.generator)
    bidder, lic = _pending_bidder()
    db.session.commit()
    config["MATCHING_REFRESH_SECONDS"] = 3600
    try:
        assert bidder.enterprise_id not in _ranked_enterprises(lot)
        monkeypatch.setattr(matching, "mark_dirty", lambda: None)  # another worker
        licences.approve_licence(world.admin, lic)
        db.session.commit()
        assert bidder.enterprise_id not in _ranked_enterprises(lot)  # stale, within interval
        config["MATCHING_REFRESH_SECONDS"] = 0
        assert bidder.enterprise_id in _ranked_enterprises(lot)
    finally:
        config["MATCHING_REFRESH_SECONDS"] = old
