"""Reaching the other party: contacts on a deal for its two parties only; a conversation
per deal and per (listing, asking enterprise), with who may read and write each, the
reply form's checks, unread counts per user, notices, sealed bids kept out, and the API."""

from datetime import timedelta
from decimal import Decimal

import pytest

from market.accounts.models import Licence
from market.db import utcnow
from market.deals.services import accept_bid, after_commit_payment
from market.extensions import db
from market.inbox.models import Message, Thread, ThreadMessage
from market.inbox.queries import unread_total
from tests import factories
from tests.conftest import csrf_token, login
from tests.functional.test_access import LOGIN, _expect
from tests.functional.test_api import bearer

GEN_PHONE, REC_PHONE, REC_MAIL = "13911112222", "13733334444", "buy@recycler.example"


def _deal(world):
    """A deal between the world's generator and recycler, with distinct contacts."""
    world.generator.enterprise.contact_phone = GEN_PHONE
    world.generator.enterprise.contact_name = "赵经理"
    world.recycler.enterprise.contact_phone = REC_PHONE
    world.recycler.enterprise.contact_email = REC_MAIL
    world.recycler.enterprise.contact_name = "钱主任"
    lot = factories.steel_lot(world.generator)
    licence = db.session.execute(
        db.select(Licence).filter_by(enterprise_id=world.recycler.enterprise_id)
    ).scalar_one()
    factories.demand(world.recycler, waste_codes=["ISW-17-01-01"], licence_id=licence.id)
    bid = factories.bid(world.recycler, lot, quantity="20")
    db.session.commit()
    deal = accept_bid(world.generator, bid.id)
    db.session.commit()
    after_commit_payment(deal)
    return deal


def _post(client, path: str, body: str, token_page: str | None = None):
    token = csrf_token(client, token_page or path)
    return client.post(path, data={"body": body, "csrf_token": token})


# ---- contacts -----------------------------------------------------------------------------


def test_both_parties_see_each_others_contacts_on_the_deal_page(client, world):
    deal = _deal(world)
    login(client, world.generator)
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert REC_PHONE in page and REC_MAIL in page and "钱主任" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, world.recycler)
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert GEN_PHONE in page and "赵经理" in page


def test_contacts_are_not_shown_before_a_deal(client, world):
    world.generator.enterprise.contact_phone = GEN_PHONE
    lot = factories.steel_lot(world.generator)
    db.session.commit()
    login(client, world.recycler)
    page = client.get(f"/listings/supply/{lot.id}").get_data(as_text=True)
    assert GEN_PHONE not in page
    assert f"/inbox/listings/supply/{lot.id}/questions" in page  # how to reach the owner


def test_the_park_administrator_sees_the_deal_but_not_the_contacts_card(client, world):
    deal = _deal(world)
    login(client, world.admin)
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert client.get(f"/deals/{deal.id}").status_code == 200
    assert REC_PHONE not in page and GEN_PHONE not in page


def test_deal_api_gives_contacts_to_the_parties_only(client, world):
    deal = _deal(world)
    mine = client.get(f"/api/v1/deals/{deal.id}", headers=bearer(world.generator)).json
    assert mine["contacts"]["recycler"]["phone"] == REC_PHONE
    assert mine["contacts"]["recycler"]["email"] == REC_MAIL
    assert mine["contacts"]["generator"]["contact_name"] == "赵经理"
    listed = client.get("/api/v1/deals", headers=bearer(world.recycler)).json
    assert listed["items"][0]["contacts"]["generator"]["phone"] == GEN_PHONE
    admin = client.get(f"/api/v1/deals/{deal.id}", headers=bearer(world.admin)).json
    assert admin["contacts"] is None


# ---- who may read and write ---------------------------------------------------------------

THREAD_MATRIX = [
    *_expect("GET /inbox/threads/", anonymous=LOGIN, default=200),
    *_expect("GET deal thread", anonymous=LOGIN, generator=200, recycler=200, admin=200,
             default=404),
    *_expect("POST deal thread", anonymous=LOGIN, generator=302, recycler=302, admin=403,
             default=404),
    *_expect("GET deal messages", anonymous=LOGIN, generator=200, recycler=200, admin=403,
             admin_elsewhere=403, default=404),
    *_expect("POST deal messages", anonymous=LOGIN, generator=302, recycler=302, admin=403,
             admin_elsewhere=403, default=404),
    *_expect("GET ask supply", anonymous=LOGIN, generator=403, admin=403, admin_elsewhere=403,
             default=200),
    *_expect("POST ask supply", anonymous=LOGIN, generator=403, admin=403, admin_elsewhere=403,
             default=302),
    *_expect("GET ask demand", anonymous=LOGIN, recycler=403, admin=403, admin_elsewhere=403,
             default=200),
    *_expect("POST ask demand", anonymous=LOGIN, recycler=403, admin=403, admin_elsewhere=403,
             default=302),
    *_expect("GET ask draft", anonymous=LOGIN, generator=403, admin=403, admin_elsewhere=403,
             default=404),
    *_expect("GET question thread", anonymous=LOGIN, generator=200, recycler=200, default=404),
    *_expect("POST question thread", anonymous=LOGIN, generator=302, recycler=302, default=404),
]  # fmt: skip


@pytest.fixture()
def rows(world):
    deal = _deal(world)
    lot = deal.listing
    demand = factories.demand(world.recycler)
    draft = factories.supply(world.generator, publish=False)
    db.session.commit()
    dealt = _write_on_deal(world, deal)
    lot2 = factories.steel_lot(world.generator, title="另一批")
    db.session.commit()
    from market.inbox import threads

    asked = threads.ask_about(world.recycler, "supply", lot2.id, "可以下周提货吗？")
    db.session.commit()
    return {
        "deal": deal.id,
        "deal thread": dealt.thread_id,
        "lot": lot.id,
        "lot2": lot2.id,
        "demand": demand.id,
        "draft": draft.id,
        "question thread": asked.thread_id,
    }


def _write_on_deal(world, deal):
    from market.inbox import threads

    message = threads.write_on_deal(world.recycler, deal.id, "明天上午来装车可以吗？")
    db.session.commit()
    return message


def _path(key: str, ids: dict) -> str:
    return {
        "deal thread": f"/inbox/threads/{ids['deal thread']}",
        "deal messages": f"/inbox/deals/{ids['deal']}/messages",
        "ask supply": f"/inbox/listings/supply/{ids['lot2']}/questions",
        "ask demand": f"/inbox/listings/demand/{ids['demand']}/questions",
        "ask draft": f"/inbox/listings/supply/{ids['draft']}/questions",
        "question thread": f"/inbox/threads/{ids['question thread']}",
    }.get(key, key)


@pytest.mark.parametrize(
    ("key", "role", "expected"), THREAD_MATRIX, ids=[f"{k} as {r}" for k, r, _ in THREAD_MATRIX]
)
def test_thread_route_access(client, world, rows, key, role, expected):
    if role != "anonymous":
        login(client, getattr(world, role))
    method, _, rest = key.partition(" ")
    path = _path(rest, rows)
    if method == "GET":
        response = client.get(path)
    else:
        token = csrf_token(client, "/login")
        response = client.post(path, data={"body": "你好", "csrf_token": token})
    if expected == LOGIN:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_the_park_administrator_reads_a_deal_thread_without_a_reply_form(client, world, rows):
    login(client, world.admin)
    page = client.get(f"/inbox/threads/{rows['deal thread']}").get_data(as_text=True)
    assert "明天上午来装车可以吗？" in page
    assert 'name="body"' not in page
    listed = client.get("/inbox/threads/").get_data(as_text=True)
    assert "可以下周提货吗？" not in listed  # questions on listings stay between the two


def test_a_third_enterprise_sees_neither_thread_in_its_lists(client, world, rows):
    login(client, world.other)
    listed = client.get("/inbox/threads/").get_data(as_text=True)
    assert "明天上午" not in listed and "下周提货" not in listed


# ---- writing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [("", "请先写下留言"), ("   \n ", "请先写下留言"), ("长" * 2001, "留言最多 2000 个字")],
)
def test_a_refused_message_comes_back_with_the_reason_beside_the_field(client, world, body, error):
    deal = _deal(world)
    login(client, world.generator)
    path = f"/inbox/deals/{deal.id}/messages"
    response = _post(client, path, body)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error in page and "invalid-feedback" in page
    assert db.session.scalar(db.select(db.func.count(ThreadMessage.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Thread.id))) == 0


def test_a_message_of_exactly_the_maximum_is_taken(client, world):
    deal = _deal(world)
    login(client, world.generator)
    response = _post(client, f"/inbox/deals/{deal.id}/messages", "长" * 2000)
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.length(ThreadMessage.body))) == 2000


def test_a_post_without_the_csrf_token_is_refused(client, world, rows):
    login(client, world.generator)
    response = client.post(f"/inbox/threads/{rows['deal thread']}", data={"body": "hi"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(ThreadMessage.id))) == 2


def test_one_thread_per_deal_and_per_asking_enterprise(client, world, rows):
    login(client, world.generator)
    _post(client, f"/inbox/deals/{rows['deal']}/messages", "好的，九点。")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, world.recycler)
    _post(client, f"/inbox/listings/supply/{rows['lot2']}/questions", "还有一个问题。")
    deal_threads = db.session.scalar(
        db.select(db.func.count(Thread.id)).where(Thread.deal_id == rows["deal"])
    )
    lot_threads = db.session.scalar(
        db.select(db.func.count(Thread.id)).where(Thread.supply_listing_id == rows["lot2"])
    )
    assert (deal_threads, lot_threads) == (1, 1)
    login_other = factories.user(world.recycler.enterprise)  # a colleague asks: same thread
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, login_other)
    _post(client, f"/inbox/listings/supply/{rows['lot2']}/questions", "同事补充一下。")
    lot_threads = db.session.scalar(
        db.select(db.func.count(Thread.id)).where(Thread.supply_listing_id == rows["lot2"])
    )
    assert lot_threads == 1


def test_a_closed_listing_takes_no_new_question(client, world):
    from market.listings import services

    lot = factories.steel_lot(world.generator)
    services.withdraw(world.generator, lot)
    db.session.commit()
    login(client, world.recycler)
    assert client.get(f"/inbox/listings/supply/{lot.id}/questions").status_code == 404


# ---- unread counts and notices -------------------------------------------------------------


def test_unread_counts_are_each_users_own(client, world, rows):
    colleague = factories.user(world.generator.enterprise)
    db.session.commit()
    assert unread_total(world.generator) == 2  # the deal message and the question
    login(client, world.generator)
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert "2 条未读" in inbox
    client.get(f"/inbox/threads/{rows['deal thread']}")
    assert unread_total(world.generator) == 1
    assert unread_total(colleague) == 2
    assert unread_total(world.recycler) == 0  # their own messages are read


def test_a_turn_of_messages_gives_one_notice_and_reading_the_thread_reads_it(client, world):
    deal = _deal(world)
    login(client, world.recycler)
    for text in ("第一条", "第二条", "第三条"):
        _post(client, f"/inbox/deals/{deal.id}/messages", text)
    notices = db.session.scalars(
        db.select(Message).where(
            Message.kind == "thread_message",
            Message.enterprise_id == world.generator.enterprise_id,
        )
    ).all()
    assert len(notices) == 1
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, world.generator)
    thread_id = notices[0].link.rsplit("/", 1)[1]
    page = client.get(f"/inbox/threads/{thread_id}").get_data(as_text=True)
    assert "第三条" in page
    from market.inbox.services import unseen_ids

    assert unseen_ids(world.generator, [notices[0].id]) == set()  # read with its thread
    assert unread_total(world.generator) == 0
    _post(client, f"/inbox/threads/{thread_id}", "收到。")
    assert db.session.scalar(
        db.select(db.func.count(Message.id)).where(
            Message.kind == "thread_message",
            Message.enterprise_id == world.recycler.enterprise_id,
        )
    ) == 1  # fmt: skip


def test_the_notice_is_worded_in_the_readers_language(client, world, rows):
    login(client, world.generator)
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert f"{world.recycler.enterprise.name}就成交 #{rows['deal']} 给您留言" in inbox
    assert "就“另一批”给您留言" in inbox


# ---- sealed bids stay sealed ----------------------------------------------------------------


def test_a_question_on_a_sealed_lot_shows_no_bid(client, world):
    # the recyclers first: a demand listing published after the lot would be told to its
    # owner by name (as the demand hall shows it), which says nothing of a bid
    rival, asker = factories.bidder(), factories.bidder()
    lot = factories.supply(
        world.generator,
        waste_code="ISW-17-01-01",
        bidding_mode="sealed",
        bid_deadline=utcnow() + timedelta(hours=2),
        quantity=Decimal("20"),
    )
    factories.bid(rival, lot, price="4321", quantity="9.5")
    factories.bid(asker, lot, price="3987", quantity="9.5")
    db.session.commit()
    login(client, asker)
    response = _post(client, f"/inbox/listings/supply/{lot.id}/questions", "包装是吨袋吗？")
    assert response.status_code == 302
    thread_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4,321" not in thread_page and rival.enterprise.name not in thread_page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, world.generator)
    for path in ("/inbox/", "/inbox/threads/", response.headers["Location"], "/"):
        page = client.get(path).get_data(as_text=True)
        for secret in ("4,321", "4321", "3,987", "3987", rival.enterprise.name):
            assert secret not in page, (path, secret)


# ---- the API --------------------------------------------------------------------------------


def test_api_lists_threads_with_unread_counts_and_posts_replies(client, world, rows):
    headers = bearer(world.generator)
    listed = client.get("/api/v1/threads", headers=headers).json
    assert listed["total"] == 2 and {t["unread"] for t in listed["items"]} == {1}
    thread_id = rows["deal thread"]
    one = client.get(f"/api/v1/threads/{thread_id}", headers=headers).json
    assert one["messages"][0]["body"] == "明天上午来装车可以吗？" and one["deal_id"] == rows["deal"]
    response = client.post(
        f"/api/v1/threads/{thread_id}/messages", headers=headers, json={"body": "九点见。"}
    )
    assert response.status_code == 201 and response.json["body"] == "九点见。"
    listed = client.get("/api/v1/threads", headers=headers).json
    assert sum(t["unread"] for t in listed["items"]) == 1


def test_api_refuses_blank_messages_and_strangers(client, world, rows):
    thread_id = rows["deal thread"]
    blank = client.post(
        f"/api/v1/threads/{thread_id}/messages",
        headers=bearer(world.generator),
        json={"body": "  "},
    )
    assert blank.status_code == 400 and blank.json["error"]["fields"]["body"]
    stranger = client.post(
        f"/api/v1/threads/{thread_id}/messages", headers=bearer(world.other), json={"body": "x"}
    )
    assert stranger.status_code == 404
    admin = client.post(
        f"/api/v1/threads/{thread_id}/messages", headers=bearer(world.admin), json={"body": "x"}
    )
    assert admin.status_code == 403
    own = client.post(
        f"/api/v1/listings/supply/{rows['lot2']}/questions",
        headers=bearer(world.generator),
        json={"body": "x"},
    )
    assert own.status_code == 403


def test_api_asks_on_a_listing_and_writes_on_a_deal(client, world, rows):
    asked = client.post(
        f"/api/v1/listings/demand/{rows['demand']}/questions",
        headers=bearer(world.generator),
        json={"body": "收不收废机油？"},
    )
    assert asked.status_code == 201
    wrote = client.post(
        f"/api/v1/deals/{rows['deal']}/messages",
        headers=bearer(world.generator),
        json={"body": "车牌京A12345。"},
    )
    assert wrote.status_code == 201 and wrote.json["thread_id"] == rows["deal thread"]


THREAD_API = [
    ("GET", "/api/v1/threads"),
    ("GET", "/api/v1/threads/1"),
    ("POST", "/api/v1/threads/1/messages"),
    ("POST", "/api/v1/deals/1/messages"),
    ("POST", "/api/v1/listings/supply/1/questions"),
    ("POST", "/api/v1/listings/demand/1/questions"),
]


@pytest.mark.parametrize(("method", "path"), THREAD_API)
def test_thread_api_refuses_calls_without_a_valid_token(client, world, method, path):
    for headers in ({}, {"Authorization": "Bearer wx_not-a-token"}):
        response = client.open(path, method=method, headers=headers, json={"body": "x"})
        assert response.status_code == 401 and response.json["error"]["message"]


def test_the_owner_sees_the_questions_on_its_listing_page(client, world, rows):
    login(client, world.generator)
    page = client.get(f"/listings/supply/{rows['lot2']}").get_data(as_text=True)
    assert "其他企业的提问" in page and world.recycler.enterprise.name in page
    assert f"/inbox/threads/{rows['question thread']}" in page
    assert f"/inbox/listings/supply/{rows['lot2']}/questions" not in page  # no asking oneself
