"""The demo's months of past trade: the park dashboard's trends show a history, made
through the services (the flow summary they keep is what a rebuild gives), settled
through the gateway, and nothing in it the warning rules would find."""

from datetime import UTC

from market import clock
from market.admin import dashboard
from market.admin.periods import standard
from market.deals.models import Deal, Payment
from market.deals.payments import amount_for
from market.demo.builder import OPENED_DAYS_AGO, demo_parks, seed_demo
from market.demo.history import MONTHS, months_before
from market.demo.timeline import beijing
from market.extensions import db
from market.manifests import flows
from market.manifests.aftercare import received_total
from market.manifests.models import Manifest
from market.warnings import services as warnings


def test_the_demo_has_months_of_trade_before_its_story(ctx):
    builder = seed_demo(seed=7)
    assert builder.history["deals"] >= 2 * MONTHS and builder.history["manifests"]
    opened = beijing(OPENED_DAYS_AGO, 9).date()
    first = months_before(opened, MONTHS).strftime("%Y-%m")
    story = opened.strftime("%Y-%m")
    for park in demo_parks():
        trends = dashboard.trends(park.id, standard("year", clock.today()))
        columns = zip(trends["kg"], trends["deals"], trends["started"], trends["closed"],
                      strict=True)  # fmt: skip
        months = dict(zip(trends["months"], columns, strict=True))
        before = [m for m in months if first <= m < story]
        assert len(before) == MONTHS
        traded = [m for m in before if months[m][0] > 0 and months[m][1] > 0]
        assert len(traded) >= MONTHS - 1  # tonnes and deals in (nearly) every month
        assert all(months[m][2] == months[m][3] for m in before)  # all closed
        assert not any(months[m][0] for m in months if m < first)
        # The summary the services kept is the one the manifests give.
        kept = flows.snapshot(park.id)
        flows.rebuild(park.id)
        assert flows.snapshot(park.id) == kept
    # Every history deal delivered is settled on its received weight.
    old = db.session.scalars(
        db.select(Deal).where(Deal.created_at < beijing(OPENED_DAYS_AGO + 1, 0).astimezone(UTC))
    ).all()
    assert len(old) == builder.history["deals"]
    for deal in old:
        assert deal.status == "completed"
        (payment,) = db.session.scalars(db.select(Payment).filter_by(deal_id=deal.id)).all()
        assert payment.status == "captured"
        assert payment.captured_fen == amount_for(received_total(deal.id), deal.price_fen)
        rows = db.session.scalars(db.select(Manifest).filter_by(deal_id=deal.id)).all()
        assert {m.status for m in rows} == {"closed"}
        assert all(m.received_kg == m.declared_kg and not m.overdue for m in rows)
    # The rules find nothing more than they found in the story's own rows.
    for park in demo_parks():
        assert warnings.run_park(park.id).raised == 0
