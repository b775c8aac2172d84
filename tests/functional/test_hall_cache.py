"""The trading hall's cache (market.listings.hall_cache): a cached page is the page the
database gives, per viewer; a change shows at once after its commit (the change notice)
and a change nobody announced within HALL_CACHE_SECONDS; the rows themselves are read
fresh, so a listing that stopped being open is never shown from the cache; with and
without Redis."""

import re
import time
from decimal import Decimal

import pytest
from sqlalchemy import update

from market.extensions import db
from market.listings import queries
from market.listings.models import SupplyListing
from market.listings.states import ListingStatus
from tests import factories
from tests.conftest import login
from tests.redis_support import redis_configured, redis_url_or_skip

SPOTS = [(36.60 + 0.013 * i, 117.00 + 0.017 * ((i * 7) % 11)) for i in range(27)]


@pytest.fixture()
def cache_on(app):
    app.config["HALL_CACHE_SECONDS"] = 30
    app.extensions.pop("hall_cache", None)
    yield app
    app.config["HALL_CACHE_SECONDS"] = 0
    app.extensions.pop("hall_cache", None)


@pytest.fixture()
def hall(world):
    """27 lots at 27 places, of two codes and several sizes, and three demands."""
    for i, (lat, lon) in enumerate(SPOTS):
        owner = factories.user(factories.enterprise(("generator",), lat=lat, lon=lon))
        code = "900-214-08" if i % 3 else "ISW-17-01-01"
        factories.supply(owner, waste_code=code, quantity=Decimal(1 + i % 7), lat=lat, lon=lon)
    for radius in (20, 50, 80):
        factories.demand(world.recycler, service_radius_km=radius)
    db.session.commit()
    return world


FILTERS = [
    dict(sort="distance"),
    dict(sort="distance", page=2),
    dict(sort="distance", within_km=3),
    dict(sort="newest"),
    dict(sort="newest", page=2),
    dict(sort="price"),
    dict(sort="quantity", min_t=Decimal(3)),
    dict(sort="distance", code="HW08"),
    dict(sort="newest", code="ISW-17", hazardous="no"),
    dict(kind="demand", sort="newest"),
    dict(kind="demand", sort="distance"),
]


def _ids(app, user, **f) -> tuple[int, list[int]]:
    page = queries.browse(user, queries.BrowseFilter(**f), per_page=10)
    return page.total, [item.id for item in page.items]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: "-".join(map(str, f.values())))
def test_a_cached_page_is_the_page_the_database_gives(app, hall, cache_on, f):
    near = factories.user(factories.enterprise(("recycler",), lat=SPOTS[5][0], lon=SPOTS[5][1]))
    db.session.commit()
    viewers = [near, hall.recycler, hall.other, None]
    app.config["HALL_CACHE_SECONDS"] = 0
    expected = [_ids(app, viewer, **f) for viewer in viewers]
    app.config["HALL_CACHE_SECONDS"] = 30
    missed = [_ids(app, viewer, **f) for viewer in viewers]
    hit = [_ids(app, viewer, **f) for viewer in viewers]
    assert missed == expected and hit == expected
    assert expected[0][0] > 0


def test_nearest_first_is_each_viewers_own_order(app, hall, cache_on):
    a = factories.user(factories.enterprise(("recycler",), lat=SPOTS[0][0], lon=SPOTS[0][1]))
    b = factories.user(factories.enterprise(("recycler",), lat=SPOTS[-1][0], lon=SPOTS[-1][1]))
    db.session.commit()
    first_a = _ids(app, a, sort="distance")[1][0]
    first_b = _ids(app, b, sort="distance")[1][0]
    lots = {lot.id: (lot.lat, lot.lon) for lot in db.session.scalars(db.select(SupplyListing))}
    assert lots[first_a] == SPOTS[0] and lots[first_b] == SPOTS[-1]


def test_the_cache_serves_until_a_change_is_announced(app, hall, cache_on):
    before = _ids(app, hall.recycler, sort="newest")
    # a change nobody announced (another process's, had it no Redis): the cache still has
    # the page until it expires
    owner = factories.user(factories.enterprise(("generator",)))
    db.session.commit()
    newest = factories.supply(owner)
    db.session.flush()
    db.session.info.pop("market.notices.listings", None)
    db.session.commit()
    assert _ids(app, hall.recycler, sort="newest") == before
    app.config["HALL_CACHE_SECONDS"] = 0.2
    app.extensions.pop("hall_cache", None)
    _ids(app, hall.recycler, sort="newest")
    time.sleep(0.3)
    assert _ids(app, hall.recycler, sort="newest")[1][0] == newest.id


def test_ones_own_new_listing_shows_at_once(client, hall, cache_on):
    login(client, hall.other)
    client.get("/listings/?sort=newest")
    mine = factories.supply(hall.other, title="刚发布的废机油")
    db.session.commit()
    page = client.get("/listings/?sort=newest").get_data(as_text=True)
    assert f"/listings/supply/{mine.id}" in page and "刚发布的废机油" in page


def test_a_listing_no_longer_open_is_not_shown_from_the_cache(client, hall, cache_on):
    login(client, hall.recycler)
    page = client.get("/listings/?sort=newest").get_data(as_text=True)
    lot = db.session.scalars(
        db.select(SupplyListing).order_by(SupplyListing.id.desc()).limit(1)
    ).one()
    assert f"/listings/supply/{lot.id}" in page
    # withdrawn behind the cache's back (no notice): the ids are cached, the row is not
    db.session.execute(
        update(SupplyListing)
        .where(SupplyListing.id == lot.id)
        .values(status=ListingStatus.WITHDRAWN)
    )
    db.session.info.pop("market.notices.listings", None)
    db.session.commit()
    db.session.expire_all()
    page = client.get("/listings/?sort=newest").get_data(as_text=True)
    assert f"/listings/supply/{lot.id}" not in page


def test_processes_share_the_cache_through_redis(app, hall, cache_on):
    with redis_configured(app, redis_url_or_skip()) as client:
        expected = _ids(app, hall.recycler, sort="newest")
        prefix = app.config["REDIS_PREFIX"]
        assert list(client.scan_iter(f"{prefix}:hall:*"))
        app.extensions.pop("hall_cache", None)  # nothing in this process's memory
        assert _ids(app, hall.recycler, sort="newest") == expected
        lot = factories.supply(hall.other)
        db.session.commit()  # the change notice: a new version, so a new key
        assert _ids(app, hall.recycler, sort="newest")[1][0] == lot.id
        assert _ids(app, hall.recycler, sort="distance")[0] == expected[0] + 1


def test_the_hall_still_answers_when_redis_is_down(app, hall, cache_on):
    from tests.redis_support import DOWN_REDIS_URL

    expected = _ids(app, hall.recycler, sort="distance")
    with redis_configured(app, DOWN_REDIS_URL):
        assert _ids(app, hall.recycler, sort="distance") == expected


def test_one_thread_computes_a_missing_key_while_the_others_wait(app, cache_on):
    """When a key expires under load, the requests asking for it at once share one
    computation (the nearest-first places of every open lot is the costly one)."""
    import threading

    from market.listings import hall_cache

    calls, started, release = [], threading.Event(), threading.Event()

    def compute() -> bytes:
        calls.append(1)
        started.set()
        release.wait(5)
        return b"answer"

    answers = []

    def ask() -> None:
        with app.app_context():
            answers.append(hall_cache.fetch(("flight-test",), compute))

    first = threading.Thread(target=ask)
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=ask) for _ in range(3)]
    for thread in others:
        thread.start()
    time.sleep(0.2)  # the others are waiting on the key's lock, not computing
    assert len(calls) == 1
    release.set()
    for thread in (first, *others):
        thread.join(5)
    assert answers == [b"answer"] * 4 and len(calls) == 1


def test_with_redis_down_nobody_waits_for_a_key_nobody_can_fill(app, cache_on):
    import threading

    from market.listings import hall_cache
    from tests.redis_support import DOWN_REDIS_URL

    calls, answers = [], []

    def ask() -> None:
        with app.app_context():
            for _ in range(2):
                answers.append(hall_cache.fetch(("down",), lambda: calls.append(1) or b"x"))

    with redis_configured(app, DOWN_REDIS_URL):
        for lock in hall_cache._FLIGHTS:  # were fetch to wait for its key's lock, it would hang
            lock.acquire()
        try:
            asker = threading.Thread(target=ask)
            asker.start()
            asker.join(20)
        finally:
            for lock in hall_cache._FLIGHTS:
                lock.release()
    assert not asker.is_alive() and answers == [b"x", b"x"] and len(calls) == 2


def test_a_card_reads_the_grade_without_the_evaluations_documents(client, hall):
    """The hall joins each card's evaluation for its grade badge; the evaluation's JSON
    documents (evidence, settings, breakdown) stay in the database."""
    from sqlalchemy import event

    from market.accounts.models import Enterprise

    newest = db.session.scalars(db.select(SupplyListing).order_by(SupplyListing.id.desc())).first()
    factories.graded(db.session.get(Enterprise, newest.enterprise_id), "A")
    db.session.commit()
    login(client, hall.recycler)
    seen = []

    def record(conn, cursor, statement, *rest):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get("/listings/?sort=newest").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    documents = re.compile(r"credit_evaluations(_\d+)?\.(online|settings|breakdown)\b")
    cards = [s for s in seen if "credit_evaluations" in s and "supply_listings" in s]
    assert cards and not [s for s in cards if documents.search(s)]
    assert "grade-badge grade-a" in page  # the badge still shows
