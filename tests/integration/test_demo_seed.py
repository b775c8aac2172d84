"""The demo seed loads through the services and is deterministic."""

from datetime import date, timedelta

from flask import current_app

from market import clock
from market.accounts import uscc
from market.accounts.models import Enterprise, Park, User
from market.credit import queries as queries_credit
from market.credit.models import Evaluation
from market.deals.models import Deal, Payment
from market.deals.payments import amount_for
from market.demo.builder import seed_demo
from market.extensions import db
from market.listings.models import Bid, DemandListing, SupplyListing
from market.manifests import ledgers, queries
from market.manifests.aftercare import received_total
from market.manifests.models import Filing, Manifest, ManifestEventRow
from market.manifests.periods import Kind
from market.manifests.services import verify_chains


def test_demo_has_two_parks_hundreds_of_listings_and_valid_codes(ctx):
    builder = seed_demo(seed=7)
    parks = db.session.execute(db.select(Park).filter_by(is_demo=True)).scalars().all()
    assert [p.slug for p in parks] == ["etown", "jinan"]
    etown = parks[0]
    generators = db.session.scalar(
        db.select(db.func.count(Enterprise.id)).filter_by(park_id=etown.id, is_generator=True)
    )
    recyclers = db.session.scalar(
        db.select(db.func.count(Enterprise.id)).filter_by(park_id=etown.id, is_recycler=True)
    )
    assert (generators, recyclers) == (300, 40)
    assert all(uscc.is_valid(code) for code in db.session.scalars(db.select(Enterprise.uscc)))
    supply = db.session.scalar(db.select(db.func.count(SupplyListing.id)))
    demand = db.session.scalar(db.select(db.func.count(DemandListing.id)))
    assert supply >= 200 and demand >= 40
    roles = {a.role for a in builder.accounts}
    assert roles == {
        "park admin", "park admin (2nd)", "park admin (3rd)", "generator", "recycler",
        "transporter", "other enterprise",
    }  # fmt: skip
    assert all(
        db.session.execute(db.select(User).filter_by(email=a.email)).scalar_one()
        for a in builder.accounts
    )
    # Bids in both modes, and deals in every payment state, through localstripe.
    assert set(builder.deals) == {"authorised", "captured", "cancelled", "pending", "failed"}
    modes = set(
        db.session.scalars(
            db.select(SupplyListing.bidding_mode).join(
                Bid, Bid.supply_listing_id == SupplyListing.id
            )
        )
    )
    assert modes == {"open", "sealed"}
    # Deadlines count from the real today: no open lot's bidding is due when the demo opens.
    due = db.select(db.func.count(SupplyListing.id)).where(
        SupplyListing.status == "open", SupplyListing.bid_deadline < clock.now()
    )
    assert db.session.scalar(due) == 0
    states = set(db.session.scalars(db.select(Payment.status)))
    assert states == {"authorised", "captured", "cancelled", "pending", "failed"}
    # Conversations: a deal's and a question, each park; the latest unread by their reader.
    from market.inbox.models import Thread
    from market.inbox.queries import unread_total

    assert builder.messages == 8
    kinds = db.session.execute(
        db.select(Thread.deal_id.is_not(None), db.func.count(Thread.id)).group_by(
            Thread.deal_id.is_not(None)
        )
    ).all()
    assert sorted(kinds) == [(False, 2), (True, 2)]
    for slug in ("etown", "jinan"):
        named = db.session.execute(
            db.select(User).filter_by(email=f"generator@{slug}.demo")
        ).scalar_one()
        assert unread_total(named) >= 1
    _manifests_in_every_state()
    assert verify_chains() == []  # what `flask manifests verify` runs
    _captures_equal_received_weights()
    _ledgers_add_up()
    for park in parks:
        _each_named_account_has_something_waiting(park)
        _grades_made_through_the_workflow(park)
        assert len(park.sites) >= 4  # the address list listings and registrations pick from
    _the_generators_lots_show_evidence()


def _the_generators_lots_show_evidence():
    from market.listings.models import ListingAttachment

    generator = db.session.execute(
        db.select(User).filter_by(email="generator@etown.demo")
    ).scalar_one()
    kinds = db.session.scalars(
        db.select(ListingAttachment.kind)
        .join(SupplyListing, ListingAttachment.supply_listing_id == SupplyListing.id)
        .where(SupplyListing.enterprise_id == generator.enterprise_id)
    ).all()
    assert sorted(set(kinds)) == ["lab_report", "photo"] and len(kinds) == 4
    forms = set(db.session.scalars(db.select(SupplyListing.physical_form)))
    assert {"solid", "liquid", "sludge"} <= forms


def _manifests_in_every_state():
    rows = db.session.scalars(db.select(Manifest)).all()
    assert {m.status for m in rows} == {
        "submitted", "in_transit", "closed", "rejected", "cancelled"
    }  # fmt: skip
    closed = [m for m in rows if m.status == "closed"]
    # Received is no resting state: the receipt closes the manifest in the same step.
    received = set(
        db.session.scalars(
            db.select(ManifestEventRow.manifest_id).where(
                ManifestEventRow.event.in_(("receive", "receive_part"))
            )
        )
    )
    assert received == {m.id for m in closed}
    assert any(m.rejected_kg for m in closed)  # partly rejected
    assert any(m.discrepant and m.discrepancy_note for m in closed)
    assert any(m.overdue and m.status == "in_transit" for m in rows)
    assert any(m.version > 1 for m in closed)  # corrected: a second version
    assert all(m.version == 1 for m in rows if m.status not in ("closed", "rejected"))


def _captures_equal_received_weights():
    settled = db.session.scalars(db.select(Deal).filter_by(status="completed")).all()
    assert settled
    for deal in settled:
        payments = db.session.scalars(db.select(Payment).filter_by(deal_id=deal.id)).all()
        assert {p.status for p in payments} == {"captured"}
        captured = sum(p.captured_fen for p in payments)
        assert captured == amount_for(received_total(deal.id), deal.price_fen)
        assert received_total(deal.id) >= deal.quantity_kg


def _ledgers_add_up():
    filers = db.session.scalars(db.select(Filing.enterprise_id).distinct()).all()
    assert len(filers) >= 2
    today = clock.today()
    start = date(today.year - 1, today.month, 1)
    for enterprise_id in filers:
        enterprise = db.session.get(Enterprise, enterprise_id)
        book = ledgers.ledger_for(enterprise, Kind.MONTH, start, today)
        assert book.generator and sum(len(r) for r in book.generator.values()) >= 12
        for rows in book.generator.values():
            for row, after in zip(rows, rows[1:] + (None,), strict=True):
                assert row.opening_kg + row.generated_kg - row.transferred_kg == row.closing_kg
                assert row.closing_kg >= 0
                assert after is None or after.opening_kg == row.closing_kg
        shipped = sum(r.transferred_kg for rows in book.generator.values() for r in rows)
        assert shipped == sum(
            db.session.scalars(
                db.select(Manifest.received_kg).filter_by(
                    generator_id=enterprise_id, status="closed"
                )
            )
        )
    for enterprise_id in set(db.session.scalars(db.select(Manifest.receiver_id))):
        book = ledgers.ledger_for(db.session.get(Enterprise, enterprise_id), Kind.MONTH,
                                  start, today)  # fmt: skip
        for rows in book.recycler.values():
            for row in rows:
                moved = row.received_kg - row.utilised_kg - row.disposed_kg
                assert row.opening_kg + moved == row.closing_kg


def _each_named_account_has_something_waiting(park):
    def user(local):
        email = f"{local}@{park.slug}.demo"
        return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()

    transporter, recycler = user("transporter"), user("recycler")
    assert any(m.status == "submitted" for m in queries.awaiting(transporter))  # a pickup
    assert any(m.status == "in_transit" for m in queries.awaiting(recycler))  # a receipt
    generator = user("generator")
    deals = db.session.scalars(
        db.select(Deal).filter_by(generator_id=generator.enterprise_id, status="made")
    )
    totals = [queries.deal_totals(d) for d in deals]
    assert any(t.open_count == 0 and t.received_kg for t in totals)  # "mark complete"
    flagged = queries.discrepant_in_park(user("admin").admin_park_id)
    assert {m.discrepant for m in flagged} == {True, False}  # discrepant and overdue


def _grades_made_through_the_workflow(park):
    def user(local):
        email = f"{local}@{park.slug}.demo"
        return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()

    today = clock.today()
    rows = db.session.scalars(db.select(Evaluation).filter_by(park_id=park.id)).all()
    in_force = [e for e in rows if e.is_in_force_on(today)]
    assert {e.grade for e in in_force} == {"A", "B", "C", "D"}
    assert [e.status for e in rows].count("expired") == 1
    expired = next(e for e in rows if e.status == "expired")
    assert expired.valid_until < today and expired.enterprise.credit_grade is None
    ending = [e for e in in_force if e.valid_until <= today + timedelta(days=60)]
    assert len(ending) == 1 and ending[0].reminded_at is not None
    (appealed,) = [e for e in rows if e.status == "appealed"]
    assert appealed.enterprise_id == user("other").enterprise_id and appealed.appeal.reason
    assert queries_credit.appeals_to_decide(user("admin3")) == [appealed]
    assert queries_credit.appeals_to_decide(user("admin")) == []
    (waiting,) = queries_credit.awaiting_approval(user("admin"))
    assert waiting.enterprise_id == user("recycler").enterprise_id
    assert waiting.submitted_by_id == user("admin2").id
    assert user("recycler").enterprise.credit_grade == "A"  # the older grade, still in force
    named = user("generator").enterprise.evaluation_in_force
    assert named.status == "published" and named.appeal_until >= today  # may still appeal
    for evaluation in rows:
        steps = [e.event for e in evaluation.events]
        assert steps[:1] == ["open"] and "submit" in steps
        if evaluation.published_on:
            assert {"approve", "publish"} <= set(steps)
            assert evaluation.approved_by_id != evaluation.submitted_by_id
            assert evaluation.breakdown != "{}"
    # The online part was computed from the demo's filings: some graded generator filed.
    filers = set(db.session.scalars(db.select(Filing.enterprise_id)))
    assert any(e.enterprise_id in filers and queries_credit.online_part(e)["figures"]["owed"]
               for e in rows)  # fmt: skip
    # The register shows exactly the grades in force.
    register = queries_credit.register_rows(park.id)
    assert sorted(r.enterprise_id for r in register) == sorted(e.enterprise_id for e in in_force)


def test_the_same_seed_gives_the_same_data(ctx):
    seed_demo(seed=7)
    first = db.session.execute(
        db.select(Enterprise.name, Enterprise.uscc, Enterprise.lat)
        .order_by(Enterprise.id)
        .limit(50)
    ).all()
    from tests.conftest import _wipe

    _wipe(current_app.config["BASELINE"])
    seed_demo(seed=7)
    second = db.session.execute(
        db.select(Enterprise.name, Enterprise.uscc, Enterprise.lat)
        .order_by(Enterprise.id)
        .limit(50)
    ).all()
    assert first == second
