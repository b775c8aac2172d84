"""Issue 12's defects as users met them: refused bids, confirmations, cancelled deals,
payment dead ends, wording, the trading hall's code filter, the inbox, the admin list."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import refresh

from market.db import utcnow
from market.deals import services
from market.deals.gateway import GatewayUnavailable, StripeGateway
from market.deals.models import Deal
from market.extensions import db
from market.inbox.models import Message
from market.listings.models import Bid
from tests import factories
from tests.conftest import csrf_token, login
from tests.functional.test_bad_input import zh


def post(client, path, data=None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/login")})


def text(response) -> str:
    return response.get_data(as_text=True)


def beside(html: str, field_id: str) -> str:
    """The field's own block: its input and the messages under it."""
    start = html.index(f'id="{field_id}"')
    tag_start = html.rindex("<", 0, start)
    end = html.find('<div class="col', start)
    return html[tag_start : end if end > 0 else start + 1500]


@pytest.fixture()
def lot(world):
    row = factories.steel_lot(world.generator, bid_deadline=utcnow() + timedelta(hours=3))
    db.session.commit()
    return row


def make_deal(world, lot, recycler=None, price="2300", quantity="20"):
    recycler = recycler or factories.bidder()
    bid = factories.bid(recycler, lot, price=price, quantity=quantity)
    db.session.commit()
    deal = services.accept_bid(world.generator, bid.id)
    db.session.commit()
    services.after_commit_payment(deal)
    db.session.refresh(deal)
    return deal, recycler


# --- a refused bid comes back on its form ------------------------------------------------


TOO_MUCH = "The quantity is more than the lot."
PAST = "The bid must stay valid for some time."


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"price_yuan": "2300", "quantity_t": "21"}, "quantity_t", TOO_MUCH),
        (
            {"price_yuan": "2300", "quantity_t": "5", "valid_until": "2020-01-01T08:00"},
            "valid_until",
            PAST,
        ),
        ({"price_yuan": "", "quantity_t": "5"}, "price_yuan", "Enter your price per tonne."),
    ],
)
def test_a_refused_bid_keeps_what_was_typed_and_says_why_beside_the_field(
    client, lot, typed, field, message
):
    recycler = factories.bidder()
    db.session.commit()
    login(client, recycler)
    response = post(client, f"/listings/supply/{lot.id}/bids", {**typed, "note": "周三上门"})
    html = text(response)
    assert response.status_code == 400
    assert lot.title in html  # the lot's page, not a bare error page
    block = beside(html, field)
    assert "is-invalid" in block and zh(message) in block
    assert "周三上门" in html  # the note typed is still there
    if typed.get("quantity_t") == "21":
        assert 'value="21"' in beside(html, "quantity_t")
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 0


def test_a_bid_not_above_the_best_price_is_refused_beside_the_price(client, lot):
    factories.bid(factories.bidder(), lot, price="2300")
    recycler = factories.bidder()
    db.session.commit()
    login(client, recycler)
    response = post(
        client, f"/listings/supply/{lot.id}/bids", {"price_yuan": "2200", "quantity_t": "3"}
    )
    assert response.status_code == 400
    block = beside(text(response), "price_yuan")
    assert "is-invalid" in block and 'value="2200.00"' in block or 'value="2200"' in block
    assert "¥2,300.00" in block


# --- confirmations ------------------------------------------------------------------------


def test_accepting_a_bid_asks_first_and_makes_no_deal_unconfirmed(client, world, lot):
    bid = factories.bid(factories.bidder(), lot, price="2300", quantity="4")
    db.session.commit()
    login(client, world.generator)
    page = text(client.get(f"/bids/{bid.id}/accept"))
    assert "¥9,200.00" in page and bid.enterprise.name in page  # what will be paid, by whom
    assert 'name="confirm"' in page
    refused = post(client, f"/bids/{bid.id}/accept")
    assert refused.status_code == 400 and zh("Tick the box to confirm.") in text(refused)
    assert db.session.scalar(db.select(db.func.count(Deal.id))) == 0
    done = post(client, f"/bids/{bid.id}/accept", {"confirm": "y"})
    assert done.status_code == 302 and db.session.scalar(db.select(db.func.count(Deal.id))) == 1


def test_withdrawing_a_bid_or_a_listing_asks_first(client, world, lot):
    recycler = factories.bidder()
    bid = factories.bid(recycler, lot)
    db.session.commit()
    login(client, recycler)
    lot_page = text(client.get(f"/listings/supply/{lot.id}"))
    assert f"/bids/{bid.id}/withdraw" in lot_page
    assert 'name="confirm"' in text(client.get(f"/bids/{bid.id}/withdraw"))
    assert post(client, f"/bids/{bid.id}/withdraw").status_code == 400
    db.session.refresh(bid)
    assert bid.status == "active"
    assert post(client, f"/bids/{bid.id}/withdraw", {"confirm": "y"}).status_code == 302
    db.session.refresh(bid)
    assert bid.status == "withdrawn"

    login(client, world.generator)
    page = text(client.get(f"/listings/supply/{lot.id}/withdraw"))
    assert lot.title in page and 'name="confirm"' in page
    assert post(client, f"/listings/supply/{lot.id}/withdraw").status_code == 400
    db.session.refresh(lot)
    assert lot.status == "open"


# --- a cancelled deal and an awarded lot --------------------------------------------------


def test_a_cancelled_deal_no_longer_shows_its_bid_as_accepted(client, world, lot):
    deal, _recycler = make_deal(world, lot, quantity="5")
    services.cancel_deal(world.generator, deal.id, "计划变更")
    db.session.commit()
    db.session.refresh(deal.bid)
    assert deal.bid.status == "cancelled"
    login(client, world.generator)
    page = text(client.get(f"/listings/supply/{lot.id}"))
    bids = page.split('id="bids"')[1]
    assert zh("accepted") not in bids and zh("deal cancelled") in bids
    assert f"/deals/{deal.id}" in page  # the cancelled deal is still reachable


def test_an_awarded_lot_links_its_deal_offers_no_matching_and_no_edit(client, world, lot):
    deal, recycler = make_deal(world, lot, quantity="5")
    login(client, world.generator)
    page = text(client.get(f"/listings/supply/{lot.id}"))
    assert f'href="/deals/{deal.id}"' in page
    assert "/matching/supply/" not in page and f"/listings/supply/{lot.id}/edit" not in page
    edit = client.get(f"/listings/supply/{lot.id}/edit")
    assert edit.status_code == 302 and edit.headers["Location"].endswith(f"/supply/{lot.id}")
    assert zh("awarded") in text(client.get(edit.headers["Location"]))
    login(client, world.other)  # not a party: no link to a deal it may not open
    assert f"/deals/{deal.id}" not in text(client.get(f"/listings/supply/{lot.id}"))


# --- the true reason a recycler may not bid -----------------------------------------------


def test_a_general_lot_says_no_demand_listing_takes_the_code_not_the_licence(client, lot):
    sludge = factories.bidder(codes=("ISW-07-01-01",))  # licensed, but takes only sludge
    db.session.commit()
    login(client, sludge)
    page = text(client.get(f"/listings/supply/{lot.id}"))
    licence_text = zh("licence does not cover %(code)s", code="ISW-17-01-01")
    assert licence_text not in page
    wording = "none of your demand listings takes %(code)s or a code of its category"
    assert zh(wording, code="ISW-17-01-01") in page


# --- the trading hall's code filter --------------------------------------------------------


def test_the_code_filter_takes_a_plant_name_as_the_catalogue_search_does(client, world):
    oil = factories.supply(world.generator, waste_code="900-214-08", title="机修废油")
    steel = factories.steel_lot(world.generator)
    db.session.commit()
    login(client, world.recycler)
    for query in ("废机油", "HW08", "900-214-08"):
        page = text(client.get("/listings/", query_string={"code": query, "sort": "newest"}))
        assert oil.title in page, query
        assert steel.title not in page, query
    page = text(client.get("/listings/", query_string={"code": "边角料", "sort": "newest"}))
    assert steel.title in page and oil.title not in page


# --- payments: worded refusals, a page to fix them, the scheduler ------------------------


class Unreachable(StripeGateway):
    def ensure_customer(self, enterprise):
        raise GatewayUnavailable("Unexpected error communicating with Stripe. If this problem…")


def test_gateway_text_stays_in_the_log_and_the_page_says_it_in_chinese(
    app, client, world, lot, caplog
):
    real = app.extensions["payments"]
    app.extensions["payments"] = Unreachable("sk_test_x", app.config["STRIPE_API_BASE"])
    try:
        deal, recycler = make_deal(world, lot, quantity="5")
    finally:
        app.extensions["payments"] = real
    assert deal.payment.status == "pending"
    assert "Unexpected error communicating with Stripe" in caplog.text
    login(client, recycler)
    page = text(client.get(f"/deals/{deal.id}"))
    assert "Stripe" not in page and "communicating" not in page
    assert zh("The payment service could not be reached.") in page


def test_a_refused_payment_gets_a_new_card_and_is_authorised_once(app, client, world, lot):
    no_cards = StripeGateway("sk_test_x", app.config["STRIPE_API_BASE"], test_cards=False)
    real, app.extensions["payments"] = app.extensions["payments"], no_cards
    try:
        deal, recycler = make_deal(world, lot, quantity="5")
    finally:
        app.extensions["payments"] = real
    assert deal.payment.status == "failed"
    message = db.session.scalar(db.select(Message).filter_by(kind="payment_failed"))
    login(client, recycler)
    page = text(client.get(f"/deals/{deal.id}"))
    assert "no payment method on file" not in page
    assert zh("No payment method is on file for the paying enterprise.") in page
    assert f"/deals/{deal.id}/payment" in page
    inbox = text(client.get("/inbox/"))
    assert message is not None and "no payment method" not in inbox
    form = text(client.get(f"/deals/{deal.id}/payment"))
    assert 'name="number"' in form
    bad = post(
        client,
        f"/deals/{deal.id}/payment",
        {"number": "4242 4242 4242 4241", "exp_month": "12", "exp_year": "2034", "cvc": "123"},
    )
    assert bad.status_code == 400
    assert zh("This card number has a typing error.") in beside(text(bad), "number")
    good = post(
        client,
        f"/deals/{deal.id}/payment",
        {"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "2034", "cvc": "123"},
    )
    assert good.status_code == 302
    db.session.refresh(deal.payment)
    assert deal.payment.status == "authorised"
    again = post(client, f"/deals/{deal.id}/payment/retry")
    assert again.status_code == 409  # nothing waits any more: no second charge
    from tests.integration.test_deals_payments import intents_for

    assert len([i for i in intents_for(deal.payment) if i.status != "canceled"]) == 1


def test_only_the_payer_may_change_how_it_pays(client, world, lot):
    deal, _recycler = make_deal(world, lot, quantity="5")
    login(client, world.generator)  # the recycler pays on a positive price
    assert client.get(f"/deals/{deal.id}/payment").status_code == 403


def test_a_refused_payment_of_a_cancelled_deal_cannot_be_retried(app, client, world, lot):
    no_cards = StripeGateway("sk_test_x", app.config["STRIPE_API_BASE"], test_cards=False)
    real, app.extensions["payments"] = app.extensions["payments"], no_cards
    try:
        deal, recycler = make_deal(world, lot, quantity="5")
    finally:
        app.extensions["payments"] = real
    services.cancel_deal(recycler, deal.id, "不要了")
    db.session.commit()
    login(client, recycler)
    assert "/payment/retry" not in text(client.get(f"/deals/{deal.id}"))
    assert post(client, f"/deals/{deal.id}/payment/retry").status_code in (403, 409)
    db.session.refresh(deal.payment)
    assert deal.payment.status == "failed"


def test_the_deal_history_words_the_settlement_in_the_users_units(client, world, lot):
    deal, recycler = make_deal(world, lot, quantity="5")
    services.settle_deal(deal.id, 4_800, world.generator)
    db.session.commit()
    login(client, recycler)
    page = text(client.get(f"/deals/{deal.id}"))
    assert "received 4800 kg" not in page and "4800 kg" not in page
    assert zh("received %(qty)s", qty="4.8 吨") in page


def test_run_sh_starts_the_scheduler_and_its_commands_exist(app):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    run = (root / "run.sh").read_text(encoding="utf-8")
    script = (root / "scripts/scheduler.sh").read_text(encoding="utf-8")
    assert "scripts/scheduler.sh" in run and "stop_all" in run
    commands = re.search(r"COMMANDS=\(([^)]*)\)", script).group(1)
    names = re.findall(r'"([^"]+)"', commands)
    assert {"bids close-due", "listings expire", "payments retry", "manifests overdue"} <= set(
        names
    )
    runner = app.test_cli_runner()
    for name in names:
        result = runner.invoke(args=name.split())
        assert result.exit_code == 0, (name, result.output)


# --- wording: tokens, prices, units, registration ------------------------------------------


def test_the_api_hint_shows_the_token_placeholder_as_text(client, world):
    login(client, world.generator)
    page = text(client.get("/account"))
    assert "Bearer &lt;token&gt;" in page and "<token>" not in page


def test_a_disposal_fee_is_worded_not_a_red_negative_price(client, world):
    fee = factories.steel_lot(world.generator, asking_price_yuan=Decimal("-595"), title="污泥处置")
    db.session.commit()
    login(client, world.recycler)
    for path in (f"/listings/supply/{fee.id}", "/listings/?sort=newest"):
        page = text(client.get(path))
        assert "-595" not in page and "¥-" not in page
        assert "处置费 ¥595.00/吨" in page and "产废单位" in page
    client.get("/lang/en")
    refresh()
    page = text(client.get(f"/listings/supply/{fee.id}"))
    assert "disposal fee ¥595.00/t, paid by the generator" in page
    assert " 吨" not in page and "公里" not in page
    refresh()


def test_units_follow_the_language(client, world, lot):
    login(client, world.recycler)
    page = text(client.get(f"/listings/supply/{lot.id}"))
    assert "20 吨" in page and "公里" in page and " km" not in page and "/t<" not in page


def test_registration_refuses_a_phone_that_is_not_one_and_states_the_password_rule(client):
    form = text(client.get("/register"))
    assert zh("At least 8 characters.") in form  # said before it is broken
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_token(client, "/register"),
            "contact_phone": "abc",
            "password": "x",
        },
    )
    html = text(response)
    assert response.status_code == 400
    assert zh("Enter a mobile number of 11 digits or a landline with its area code.") in beside(
        html, "contact_phone"
    )
    assert zh("The password needs at least 8 characters.") in html
    assert "This field is required" not in html and "Field must be" not in html


# --- the inbox ------------------------------------------------------------------------------


def test_inbox_prices_have_separators_and_a_withdrawn_bid_says_so(client, world, lot):
    recycler = factories.bidder()
    bid = factories.bid(recycler, lot, price="12345", quantity="3")
    db.session.commit()
    login(client, world.generator)
    inbox = text(client.get("/inbox/"))
    assert "¥12,345.00/吨" in inbox and "12345.00" not in inbox
    assert zh("withdrawn by the bidder since") not in inbox
    from market.listings.bidding import withdraw_bid

    withdraw_bid(recycler, bid.id)
    db.session.commit()
    assert zh("withdrawn by the bidder since") in text(client.get("/inbox/"))


def test_one_accepted_bid_is_one_message_to_the_bidder(world, lot):
    _deal, recycler = make_deal(world, lot, quantity="5")
    kinds = db.session.scalars(
        db.select(Message.kind).filter_by(enterprise_id=recycler.enterprise_id)
    ).all()
    assert sorted(kinds) == ["bid_won"]


def test_opening_the_inbox_marks_read_only_for_the_user_who_opened_it(client, world, lot):
    factories.bid(factories.bidder(), lot)
    colleague = factories.user(world.generator.enterprise)
    db.session.commit()
    login(client, world.generator)
    assert "bg-warning" in text(client.get("/inbox/"))  # new to this user
    assert "bg-warning" not in text(client.get("/inbox/"))  # seen now
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, colleague)
    assert "bg-warning" in text(client.get("/inbox/"))  # still new to the colleague


# --- the park's enterprises -----------------------------------------------------------------


def test_admin_enterprises_are_paginated_in_pinyin_order_and_clamped(client, world):
    for name in ("张家港冶金有限公司", "安徽化工有限公司", "北京电镀厂", "重庆机械厂"):
        factories.enterprise(("generator",), name=name)
    for n in range(30):
        factories.enterprise(("generator",), name=f"中试企业{n:02d}")
    db.session.commit()
    login(client, world.admin)
    first = text(client.get("/admin/enterprises"))
    order = [first.index(n) for n in ("安徽化工", "北京电镀", "重庆机械", "张家港", "中试企业00")]
    assert order == sorted(order)  # an, bei, chong, zhang, zhong
    assert "中试企业29" not in first  # 39 enterprises, 25 a page
    assert re.search(r"/admin/enterprises/\d+", first)
    assert "中试企业29" in text(client.get("/admin/enterprises?page=2"))
    for page in ("99999", "0", "-1", "abc"):
        shown = client.get(f"/admin/enterprises?page={page}")
        assert shown.status_code == 200 and "第 99999" not in text(shown)
        assert ("第 2 / 2 页" if page == "99999" else "第 1 / 2 页") in text(shown)
        assert ("中试企业29" in text(shown)) == (page == "99999")  # the last page, or the first
    one = db.session.scalar(db.select(factories.Enterprise).filter_by(name="北京电镀厂"))
    detail = text(client.get(f"/admin/enterprises/{one.id}"))
    assert one.uscc in detail and one.contact_phone in detail
