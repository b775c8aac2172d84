"""The home page as the signed-in user's desk: each count reflects the rows made here, a
sealed lot shows how many bids and nothing else, administrators see their own waiting
items, anonymous visitors keep the front page, and the queries do not grow with the rows."""

import re
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, update

from market import clock
from market.db import utcnow
from market.deals.models import Payment
from market.extensions import db
from market.inbox import threads
from market.manifests.models import Manifest
from tests import credit_flow, factories
from tests import manifest_flow as flow
from tests.conftest import login

COUNT = re.compile(r'id="desk-(\w+)".*?data-count="(\d+)"', re.S)


def desk(client) -> tuple[dict[str, int], str]:
    page = client.get("/").get_data(as_text=True)
    return {k: int(v) for k, v in COUNT.findall(page)}, page


def test_anonymous_visitors_keep_the_front_page(client, world):
    page = client.get("/").get_data(as_text=True)
    assert "我的工作台" not in page and 'id="desk-' not in page
    assert "企业注册" in page


def test_a_generator_sees_its_lots_with_bids_and_what_it_may_decide(client, world):
    open_lot = factories.steel_lot(world.generator, title="公开批次")
    sealed = factories.steel_lot(
        world.generator,
        title="密封批次",
        bidding_mode="sealed",
        bid_deadline=utcnow() + timedelta(hours=2),
    )
    factories.steel_lot(world.generator, title="无人出价")
    elsewhere = factories.steel_lot(world.other, title="别家批次")
    first, second = factories.bidder(), factories.bidder()
    factories.bid(first, open_lot, price="1000")
    factories.bid(second, open_lot, price="1100")
    factories.bid(first, sealed, price="4321", quantity="9.5")
    factories.bid(second, elsewhere, price="1000")
    db.session.commit()
    login(client, world.generator)
    counts, page = desk(client)
    assert counts["lots"] == 2  # the two lots with bids, not the one without
    assert counts["decide"] == 2  # the open lot's bids; the sealed one cannot be decided yet
    assert "我的工作台" in page
    decide_card = page[page.index('id="desk-decide"') :].split('id="desk-', 2)[1]
    assert f"/listings/supply/{open_lot.id}#bids" in decide_card  # where to choose
    sealed_row = page[page.index("密封批次") :][:300]
    assert "1 个出价" in sealed_row and "截止前密封" in sealed_row
    for secret in ("4,321", "4321", "9.5", first.enterprise.name, second.enterprise.name):
        assert secret not in page, secret


def test_sealed_bids_count_as_decidable_once_the_deadline_has_passed(client, world):
    lot = factories.steel_lot(
        world.generator, bidding_mode="sealed", bid_deadline=utcnow() + timedelta(hours=1)
    )
    factories.bid(factories.bidder(), lot, price="1000")
    db.session.commit()
    login(client, world.generator)
    assert desk(client)[0]["decide"] == 0
    lot.bid_deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert desk(client)[0]["decide"] == 1


def test_a_recycler_sees_its_bids_and_licences_ending_within_sixty_days(client, world):
    lot = factories.steel_lot(world.generator)
    licence = world.recycler.enterprise.licences[0]
    factories.demand(world.recycler, waste_codes=["ISW-17-01-01"], licence_id=licence.id)
    factories.bid(world.recycler, lot, price="1234")
    today = clock.today()
    factories.licence(world.recycler.enterprise, number="LIC-SOON", valid_until=today)
    factories.licence(
        world.recycler.enterprise, number="LIC-60", valid_until=today + timedelta(days=60)
    )
    factories.licence(
        world.recycler.enterprise, number="LIC-61", valid_until=today + timedelta(days=61)
    )
    factories.licence(
        world.recycler.enterprise,
        number="LIC-OLD",
        valid_from=today - timedelta(days=90),
        valid_until=today - timedelta(days=1),
    )
    db.session.commit()
    login(client, world.recycler)
    counts, page = desk(client)
    assert counts["bids"] == 1 and "1,234" in page  # its own price, its own bid
    assert counts["licences"] == 2
    assert "LIC-SOON" in page and "LIC-60" in page and "LIC-61" not in page
    assert "lots" not in counts  # a recycler has no lots card when it has no lots


def test_deals_manifests_and_payments_that_wait(client, world):
    trip = flow.trip(world)
    trip.start(2000)
    login(client, world.transporter)
    assert desk(client)[0]["manifests"] == 1  # the pickup to sign
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, world.generator)
    counts, page = desk(client)
    assert counts["deals"] == 1 and counts["manifests"] == 0
    assert f"/deals/{trip.deal.id}" in page
    db.session.execute(
        update(Payment).where(Payment.deal_id == trip.deal.id).values(status="failed")
    )
    db.session.commit()
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, trip.recycler)
    page = desk(client)[1]
    assert f"/deals/{trip.deal.id}/payment" in page  # the payer is told where to fix it


def test_unread_messages_are_counted_for_the_reader(client, world):
    trip = flow.trip(world)
    threads.write_on_deal(trip.recycler, trip.deal.id, "几点装车？")
    threads.write_on_deal(trip.recycler, trip.deal.id, "请回复。")
    db.session.commit()
    login(client, world.generator)
    counts, page = desk(client)
    assert counts["messages"] == 2 and "分布在 1 个会话中" in page
    thread_id = threads.deal_thread(trip.deal.id).id
    client.get(f"/inbox/threads/{thread_id}")
    assert desk(client)[0]["messages"] == 0


def test_a_park_administrator_sees_evaluations_and_flagged_manifests(client, world):
    (grader,) = credit_flow.admins(n=1)
    credit_flow.submitted(grader, world.recycler.enterprise)
    trip = flow.trip(world)
    manifest = trip.start(2000)
    db.session.execute(update(Manifest).where(Manifest.id == manifest.id).values(overdue=True))
    db.session.commit()
    login(client, world.admin)
    counts, page = desk(client)
    assert counts["credit"] == 1 and counts["flagged"] == 1
    assert "lots" not in counts and "deals" not in counts
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, world.admin_elsewhere)
    counts, _page = desk(client)
    assert counts["credit"] == 0 and counts["flagged"] == 0


@contextmanager
def _statements():
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_desk_queries_do_not_grow_with_the_rows(client, world):
    bidder = factories.bidder()
    factories.bid(bidder, factories.steel_lot(world.generator), price="1000")
    db.session.commit()
    login(client, world.generator)
    desk(client)
    db.session.commit()  # both measures start from an expired session
    with _statements() as few:
        desk(client)
    for i in range(4):
        factories.bid(bidder, factories.steel_lot(world.generator, title=f"批次{i}"))
    db.session.commit()
    with _statements() as many:
        counts, _page = desk(client)
    assert counts["lots"] == 5
    assert len(many) == len(few)


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/account")
