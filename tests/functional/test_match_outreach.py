"""Matching that reaches out (notices on publishing, invitations to bid, the daily digest,
prices on the match page) and the public window of the trading hall."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import refresh

from market import clock
from market.accounts.models import ParkMatchSettings
from market.extensions import db
from market.inbox.models import Message
from market.listings import services as listings
from market.listings.models import DemandListing
from market.matching.models import BidInvitation, MatchDigest, MatchNotice
from market.outreach import services as outreach
from tests import factories
from tests.conftest import csrf_token, login


def text(response) -> str:
    return response.get_data(as_text=True)


def english(client) -> None:
    client.get("/lang/en")
    refresh()  # the test's own context caches the locale of the first request


def messages(enterprise_id: int, kind: str) -> list[Message]:
    return (
        db.session.execute(db.select(Message).filter_by(enterprise_id=enterprise_id, kind=kind))
        .scalars()
        .all()
    )


def settings(**values) -> ParkMatchSettings:
    row = ParkMatchSettings(park_id=factories.park().id, **values)
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture()
def recyclers(world):
    """Two recyclers taking steel offcuts next door, one taking only waste oil."""
    near = factories.bidder(codes=("ISW-17-01-01",))
    also = factories.bidder(codes=("ISW-17-01-01",), capacity_t="40")
    oil = factories.bidder(codes=("900-214-08",))
    db.session.commit()
    return near, also, oil


# --- notices on publishing --------------------------------------------------------------


def test_publishing_a_lot_tells_each_matching_recycler_once(world, recyclers):
    near, also, oil = recyclers
    lot = factories.steel_lot(world.generator)
    db.session.commit()
    assert len(messages(near.enterprise_id, "lot_matches")) == 1
    assert len(messages(also.enterprise_id, "lot_matches")) == 1
    assert messages(oil.enterprise_id, "lot_matches") == []  # its code does not match
    assert messages(world.generator.enterprise_id, "lot_matches") == []
    message = messages(near.enterprise_id, "lot_matches")[0]
    assert message.link == f"/listings/supply/{lot.id}"
    assert db.session.scalar(db.select(db.func.count(MatchNotice.id))) == 2


def test_a_lot_is_never_told_twice_for_the_same_demand_listing(world, recyclers):
    near, _also, _oil = recyclers
    lot = factories.steel_lot(world.generator)
    assert outreach.tell_matches(lot) == []  # a second run finds every pair told
    db.session.commit()
    assert len(messages(near.enterprise_id, "lot_matches")) == 1
    assert db.session.scalar(db.select(db.func.count(MatchNotice.id))) == 2


def test_one_message_names_all_matching_listings_of_one_recycler(world, recyclers):
    near, _also, _oil = recyclers
    lic = near.enterprise.licences[0]
    factories.demand(near, title="第二条收购", licence_id=lic.id)
    lot = factories.steel_lot(world.generator)
    db.session.commit()
    told = messages(near.enterprise_id, "lot_matches")
    assert len(told) == 1 and json.loads(told[0].params)["more"] == 1
    pairs = db.session.execute(
        db.select(MatchNotice.demand_listing_id).filter_by(
            supply_listing_id=lot.id, enterprise_id=near.enterprise_id
        )
    ).all()
    assert len(pairs) == 2


def test_no_notice_below_the_park_threshold(world, recyclers):
    settings(notify_min_score=0.99)
    factories.steel_lot(world.generator)
    db.session.commit()
    for r in recyclers:
        assert messages(r.enterprise_id, "lot_matches") == []
    assert db.session.scalar(db.select(db.func.count(MatchNotice.id))) == 0


def test_only_the_parks_top_n_are_told(world, recyclers):
    settings(notify_min_score=0.0, notify_top_n=1)
    lot = factories.steel_lot(world.generator)
    db.session.commit()
    notices = db.session.execute(db.select(MatchNotice)).scalars().all()
    assert len(notices) == 1
    best = outreach.service.rank_demand_for(lot, k=1).matches[0]
    assert notices[0].demand_listing_id == best.id


def test_the_park_administrator_sets_the_threshold_and_top_n(client, world):
    from tests.functional.test_matching_pages import _post_settings

    login(client, world.admin)
    english(client)
    refused = _post_settings(client, notify_min_score="1.5", save="1")
    assert refused.status_code == 400 and "Tell recyclers of a new lot" in text(refused)
    saved = _post_settings(client, notify_min_score="0.85", notify_top_n="3", save="1")
    assert saved.status_code == 302
    row = outreach.service.settings_row(factories.park().id)
    assert (row.notify_min_score, row.notify_top_n) == (0.85, 3)


def test_an_edited_open_lot_tells_only_the_newly_matching(world, recyclers):
    near, also, oil = recyclers
    lot = factories.steel_lot(world.generator)
    assert messages(oil.enterprise_id, "lot_matches") == []
    listings.update_supply(
        world.generator, lot, factories.supply_input(title="废机油 5 吨 (改)")
    )  # now waste oil: the oil recycler is told; the steel ones are not told again
    assert len(messages(oil.enterprise_id, "lot_matches")) == 1
    assert len(messages(near.enterprise_id, "lot_matches")) == 1
    assert len(messages(also.enterprise_id, "lot_matches")) == 1


def test_a_draft_tells_nobody_until_it_is_published(world, recyclers):
    near, _also, _oil = recyclers
    lot = factories.steel_lot(world.generator, publish=False)
    assert outreach.tell_matches(lot) == []
    assert messages(near.enterprise_id, "lot_matches") == []
    listings.publish(world.generator, lot)
    assert len(messages(near.enterprise_id, "lot_matches")) == 1


def test_a_new_demand_tells_the_owners_of_matching_lots_once(client, world):
    lot = factories.steel_lot(world.generator)
    second = factories.steel_lot(world.generator, title="第二批废钢")
    oil = factories.supply(world.other)  # waste oil: the steel recycler does not take it
    db.session.commit()
    recycler = factories.bidder(codes=("ISW-17-01-01",))  # publishes a steel demand listing
    db.session.commit()
    told = messages(world.generator.enterprise_id, "demand_matches")
    assert len(told) == 1  # one message for the owner's two matching lots
    params = json.loads(told[0].params)
    assert params["more"] == 1 and params["recycler"] == recycler.enterprise.name
    assert told[0].link in (f"/matching/supply/{lot.id}", f"/matching/supply/{second.id}")
    assert not {"price", "price_fen", "bid", "bids"} & set(params)
    assert messages(world.other.enterprise_id, "demand_matches") == []
    assert messages(recycler.enterprise_id, "demand_matches") == []
    pairs = db.session.execute(
        db.select(MatchNotice.supply_listing_id).filter_by(enterprise_id=recycler.enterprise_id)
    ).scalars()
    assert set(pairs) == {lot.id, second.id} and oil.id not in set(pairs)
    demand = db.session.scalar(
        db.select(DemandListing).filter_by(enterprise_id=recycler.enterprise_id)
    )
    assert outreach.tell_lot_owners(demand) == []  # every pair told already
    assert outreach.tell_matches(lot) == []  # and not again from the lot's side
    login(client, world.generator)
    english(client)
    page = text(client.get("/inbox/"))
    assert "published a demand listing" in page and "you may invite it to bid" in page


def test_a_draft_demand_tells_nobody_and_the_threshold_holds(world):
    settings(notify_min_score=0.99)
    factories.steel_lot(world.generator)
    db.session.commit()
    factories.bidder(codes=("ISW-17-01-01",))
    db.session.commit()
    assert messages(world.generator.enterprise_id, "demand_matches") == []
    db.session.execute(db.delete(ParkMatchSettings))
    near = factories.bidder(codes=("ISW-17-01-01",))
    draft = factories.demand(near, publish=False, title="草稿收购")
    assert outreach.tell_lot_owners(draft) == []
    listings.publish(near, draft)
    assert (
        len(messages(world.generator.enterprise_id, "demand_matches")) == 2
    )  # its first demand's, then the draft's


def test_a_sealed_lots_notice_carries_no_price(client, world, recyclers):
    near, _also, _oil = recyclers
    deadline = clock.now() + timedelta(days=3)
    lot = factories.steel_lot(world.generator, bidding_mode="sealed", bid_deadline=deadline)
    factories.bid(recyclers[1], lot, price="2345")
    db.session.commit()
    told = messages(near.enterprise_id, "lot_matches")
    assert len(told) == 1
    assert not {"price", "price_fen", "bid", "bids"} & set(json.loads(told[0].params))
    login(client, near)
    english(client)
    page = text(client.get("/inbox/"))
    assert "A new lot matches your demand listing" in page
    assert "2,345" not in page and "2345" not in page and "¥" not in page


def test_the_inbox_words_the_notice_in_the_readers_language(client, world, recyclers):
    near, _also, _oil = recyclers
    factories.steel_lot(world.generator)
    db.session.commit()
    login(client, near)
    assert "匹配" in text(client.get("/inbox/"))
    english(client)
    page = text(client.get("/inbox/"))
    assert "A new lot matches your demand listing “收购废钢” well" in page
    assert "ISW-17-01-01, 20 t" in page


# --- the daily digest -------------------------------------------------------------------


def _opt_in(client, user):
    login(client, user)
    response = client.post(
        "/account/digest",
        data={"csrf_token": csrf_token(client, "/account"), "match_digest": "y"},
    )
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def test_the_account_page_sets_and_clears_the_digest(client, world):
    login(client, world.recycler)
    assert 'name="match_digest"' in text(client.get("/account"))
    token = csrf_token(client, "/account")
    client.post("/account/digest", data={"csrf_token": token, "match_digest": "y"})
    db.session.refresh(world.recycler)
    assert world.recycler.match_digest is True
    client.post("/account/digest", data={"csrf_token": token})
    db.session.refresh(world.recycler)
    assert world.recycler.match_digest is False


def test_the_digest_goes_once_a_day_and_only_to_who_asked(client, world, recyclers):
    near, also, _oil = recyclers
    colleague = factories.user(near.enterprise)
    db.session.commit()
    _opt_in(client, near)
    factories.steel_lot(world.generator)
    factories.steel_lot(world.generator, title="第二批边角料")
    db.session.commit()
    today = clock.today()
    assert outreach.send_digests(today) == 0  # today's matches go into tomorrow's digest
    assert outreach.send_digests(today + timedelta(days=1)) == 1
    assert outreach.send_digests(today + timedelta(days=1)) == 0  # once per business day
    db.session.commit()
    digests = messages(near.enterprise_id, "match_digest")
    assert len(digests) == 1 and digests[0].user_id == near.id
    assert json.loads(digests[0].params)["lots"] == 2
    assert messages(also.enterprise_id, "match_digest") == []  # did not opt in
    # a digest is its user's own: a colleague in the same enterprise does not get it
    login(client, colleague)
    english(client)
    assert "Your daily matches" not in text(client.get("/inbox/"))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, near)
    english(client)
    assert "Your daily matches: 2 new lots" in text(client.get("/inbox/"))


def test_the_next_digest_covers_only_newer_matches(client, world, recyclers):
    near, _also, _oil = recyclers
    _opt_in(client, near)
    factories.steel_lot(world.generator)
    today = clock.today()
    assert outreach.send_digests(today + timedelta(days=1)) == 1
    assert outreach.send_digests(today + timedelta(days=2)) == 0  # nothing new: no message
    assert db.session.scalar(db.select(db.func.count(MatchDigest.id))) == 1


def test_the_digest_command_runs_on_todays_business_day(app, client, world, recyclers, monkeypatch):
    near, _also, _oil = recyclers
    _opt_in(client, near)
    factories.steel_lot(world.generator)
    db.session.commit()
    tomorrow = clock.today() + timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda zone=clock.BEIJING: tomorrow)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["matching", "digest"])
    second = runner.invoke(args=["matching", "digest"])
    assert first.exit_code == 0 and "1 match digests sent" in first.output
    assert "0 match digests sent" in second.output
    assert len(messages(near.enterprise_id, "match_digest")) == 1


# --- invitations to bid -----------------------------------------------------------------


def _invite(client, lot_id: int, enterprise_id: int):
    token = csrf_token(client, f"/matching/supply/{lot_id}")
    return client.post(
        f"/matching/supply/{lot_id}/invite",
        data={"csrf_token": token, "enterprise_id": enterprise_id},
    )


def test_the_owner_invites_a_recycler_once(client, world, recyclers):
    near, _also, _oil = recyclers
    lot = factories.steel_lot(world.generator)
    db.session.commit()
    login(client, world.generator)
    english(client)
    response = _invite(client, lot.id, near.enterprise_id)
    assert response.status_code == 302
    invited = messages(near.enterprise_id, "bid_invited")
    assert len(invited) == 1 and invited[0].link == f"/listings/supply/{lot.id}"
    again = client.post(
        f"/matching/supply/{lot.id}/invite",
        data={"csrf_token": csrf_token(client, "/account"), "enterprise_id": near.enterprise_id},
        follow_redirects=True,
    )
    assert "already invited" in text(again)
    assert len(messages(near.enterprise_id, "bid_invited")) == 1
    assert db.session.scalar(db.select(db.func.count(BidInvitation.id))) == 1
    page = text(client.get(f"/matching/supply/{lot.id}"))
    assert "invited to bid" in page


def test_an_invitation_is_refused_on_a_lot_that_is_not_open(client, world, recyclers):
    near, _also, _oil = recyclers
    lot = factories.steel_lot(world.generator)
    listings.withdraw(world.generator, lot)
    db.session.commit()
    login(client, world.generator)
    english(client)
    token = csrf_token(client, "/account")
    response = client.post(
        f"/matching/supply/{lot.id}/invite",
        data={"csrf_token": token, "enterprise_id": near.enterprise_id},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Only an open lot that still takes bids can invite bids." in text(response)
    assert messages(near.enterprise_id, "bid_invited") == []
    assert "Invite to bid" not in text(client.get(f"/matching/supply/{lot.id}"))


def test_a_recycler_that_cannot_bid_is_not_invited(client, world, recyclers):
    _near, _also, oil = recyclers
    lot = factories.steel_lot(world.generator)
    db.session.commit()
    login(client, world.generator)
    english(client)
    response = _invite(client, lot.id, oil.enterprise_id)
    assert response.status_code == 302
    assert messages(oil.enterprise_id, "bid_invited") == []
    assert "may not bid on this lot" in text(client.get(f"/matching/supply/{lot.id}"))


@pytest.mark.parametrize("who", ["other", "admin", "recycler"])
def test_only_the_lots_owner_may_invite(client, world, recyclers, who):
    near, _also, _oil = recyclers
    lot = factories.steel_lot(world.generator)
    db.session.commit()
    login(client, getattr(world, who))
    token = csrf_token(client, "/account")
    response = client.post(
        f"/matching/supply/{lot.id}/invite",
        data={"csrf_token": token, "enterprise_id": near.enterprise_id},
    )
    assert response.status_code == 403
    assert messages(near.enterprise_id, "bid_invited") == []


def test_an_invitation_without_the_csrf_token_is_refused(client, world, recyclers):
    near, _also, _oil = recyclers
    lot = factories.steel_lot(world.generator)
    db.session.commit()
    login(client, world.generator)
    response = client.post(
        f"/matching/supply/{lot.id}/invite", data={"enterprise_id": near.enterprise_id}
    )
    assert response.status_code in (302, 400)
    assert messages(near.enterprise_id, "bid_invited") == []


# --- prices on the match page -----------------------------------------------------------


def test_the_match_page_shows_the_asking_and_offered_prices(client, world):
    e = factories.enterprise(("recycler",))
    lic = factories.licence(e)
    recycler = factories.user(e)
    factories.demand(recycler, licence_id=lic.id, price_offered_yuan=Decimal("-300"))
    lot = factories.steel_lot(world.generator, asking_price_yuan=Decimal("1200"))
    db.session.commit()
    login(client, world.generator)
    english(client)
    page = text(client.get(f"/matching/supply/{lot.id}"))
    assert "¥1,200.00/t" in page  # the lot's asking price
    assert "disposal fee ¥300.00/t, paid by the generator" in page  # the demand's offer
    assert "Invite to bid" in page
    login(client, world.admin)  # the park's administrator sees prices, not the buttons
    page = text(client.get(f"/matching/supply/{lot.id}"))
    assert "¥1,200.00/t" in page and "Invite to bid" not in page


def test_the_demand_match_page_shows_each_lots_asking_price(client, world):
    e = factories.enterprise(("recycler",))
    lic = factories.licence(e)
    recycler = factories.user(e)
    demand = factories.demand(recycler, licence_id=lic.id, price_offered_yuan=Decimal("800"))
    factories.steel_lot(world.generator, asking_price_yuan=Decimal("-150"))
    db.session.commit()
    login(client, recycler)
    english(client)
    page = text(client.get(f"/matching/demand/{demand.id}"))
    assert "¥800.00/t" in page
    assert "disposal fee ¥150.00/t, paid by the generator" in page
    assert "Invite to bid" not in page


# --- the public window ------------------------------------------------------------------


@pytest.fixture()
def hall(world):
    price = Decimal("4321")
    lot = factories.steel_lot(world.generator, title="秘密标题冲压件", asking_price_yuan=price)
    offer = Decimal("987")
    demand = factories.demand(world.recycler, title="收购标题保密", price_offered_yuan=offer)
    db.session.commit()
    return lot, demand


HIDDEN = ("秘密标题冲压件", "¥", "4,321", "4321", "13800000000", "王工")


def test_anonymous_visitors_see_the_hall_without_names_or_prices(client, world, hall):
    lot, _demand = hall
    response = client.get("/listings/")
    page = text(response)
    assert response.status_code == 200
    assert "ISW-17-01-01" in page and "20 吨" in page and "北园（测试）" in page
    assert clock.today().isoformat() in page  # the listing date
    assert world.generator.enterprise.name not in page
    for hidden in HIDDEN:
        assert hidden not in page, hidden
    assert f"/listings/supply/{lot.id}" not in page  # no way into the lot page
    assert "/register" in page and "/login" in page  # the call to register or log in


def test_anonymous_demand_listings_hide_names_and_offers(client, world, hall):
    page = text(client.get("/listings/?kind=demand"))
    assert "ISW-17-01-01" in page and "100 吨" in page
    for hidden in (world.recycler.enterprise.name, "收购标题保密", "987", "¥"):
        assert hidden not in page, hidden


def test_anonymous_filters_cannot_reveal_prices(client, world, hall):
    factories.steel_lot(world.generator, quantity=Decimal("3"), asking_price_yuan=Decimal("10"))
    db.session.commit()
    by_price = client.get("/listings/?sort=price")
    assert by_price.status_code == 400  # not an order anonymous visitors may use
    assert "ISW-17-01-01" not in text(by_price)
    # a price range is not a filter of the public hall: both lots stay listed
    ranged = text(client.get("/listings/?min_price=1000"))
    assert "2 条" in ranged or ranged.count("public-card") == 2
    assert 'name="min_price"' not in ranged and 'value="price"' not in ranged
    by_quantity = text(client.get("/listings/?sort=quantity"))
    first, second = (m.start() for m in re.finditer("public-card", by_quantity))
    assert "20 吨" in by_quantity[first:second]


def test_signed_in_users_keep_the_full_hall(client, world, hall):
    login(client, world.recycler)
    page = text(client.get("/listings/"))
    assert world.generator.enterprise.name in page and "秘密标题冲压件" in page and "¥" in page


def test_the_lot_page_and_the_api_stay_closed_to_anonymous_visitors(client, hall):
    lot, _demand = hall
    assert "/login" in client.get(f"/listings/supply/{lot.id}").headers["Location"]
    assert client.get("/api/v1/listings/supply").status_code == 401
