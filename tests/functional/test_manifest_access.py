"""Who gets what on the manifest pages: every new route against every kind of visitor.

The world's generator, recycler and transporter are the three parties of the manifests
here (the recycler won the deal); "other" is a generator of the same park who is no party;
"admin" administers their park, "admin_elsewhere" another park."""

from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

import pytest

from market import clock
from market.accounts.models import Licence
from market.db import utcnow
from market.deals.services import accept_bid, after_commit_payment
from market.extensions import db
from market.manifests.models import ParkCalendarDay
from tests import factories
from tests.conftest import csrf_token, login
from tests.manifest_flow import Trip

ROLES = ("anonymous", "generator", "recycler", "transporter", "other", "admin", "admin_elsewhere")
LOGIN = "login"
NOW = "%Y-%m-%dT%H:%M"


def _local(minutes: int) -> str:
    return (utcnow() + timedelta(minutes=minutes)).astimezone(clock.BEIJING).strftime(NOW)


def _expect(key: str, **by_role):
    default = by_role.pop("default")
    return [(key, role, by_role.get(role, default)) for role in ROLES]


PARTIES_AND_ADMIN = dict(anonymous=LOGIN, generator=200, recycler=200, transporter=200, admin=200)
ADMIN_PAGE = dict(anonymous=LOGIN, admin=200, admin_elsewhere=200)

MATRIX = [
    *_expect("GET /manifests/", anonymous=LOGIN, default=200),
    *_expect(
        "GET /manifests/transport", anonymous=LOGIN, transporter=200, recycler=200, default=403
    ),
    *_expect("GET manifest", **PARTIES_AND_ADMIN, default=404),
    *_expect("GET print", **PARTIES_AND_ADMIN, default=404),
    *_expect("GET pdf", **PARTIES_AND_ADMIN, default=404),
    *_expect("GET deal", **{**PARTIES_AND_ADMIN, "transporter": 404}, default=404),
    *_expect("GET verify", default=200),
    *_expect("GET verify unknown", default=404),
    *_expect(
        "POST pickup",
        anonymous=LOGIN,
        transporter=302,
        recycler=403,  # a party, but not the carrier of this load
        generator=403,
        other=403,
        admin=403,
        default=403,
    ),
    *_expect(
        "POST receipt",
        anonymous=LOGIN,
        recycler=302,
        generator=403,
        transporter=403,
        other=404,
        admin=403,
        admin_elsewhere=404,
        default=404,
    ),
    *_expect(
        "POST reject",
        anonymous=LOGIN,
        recycler=302,
        generator=403,
        transporter=403,
        other=404,
        admin=403,
        admin_elsewhere=404,
        default=404,
    ),
    *_expect(
        "POST cancel",
        anonymous=LOGIN,
        generator=302,
        recycler=403,
        transporter=403,
        admin=403,
        default=404,
    ),
    *_expect(
        "POST correct",
        anonymous=LOGIN,
        recycler=302,
        generator=403,  # a party, but the received weight is the receiver's to correct
        transporter=403,
        admin=403,
        default=404,
    ),
    *_expect(
        "POST start",
        anonymous=LOGIN,
        generator=302,
        recycler=403,
        admin=403,
        admin_elsewhere=403,
        default=404,
    ),
    *_expect(
        "POST allow-more",
        anonymous=LOGIN,
        recycler=302,
        generator=403,
        admin=403,
        admin_elsewhere=403,
        default=404,
    ),
    *_expect(
        "POST complete",
        anonymous=LOGIN,
        generator=302,
        recycler=403,
        admin=403,
        admin_elsewhere=403,
        default=404,
    ),
    *_expect("GET /admin/manifests/calendar", **ADMIN_PAGE, default=403),
    *_expect("GET /admin/manifests/flagged", **ADMIN_PAGE, default=403),
    *_expect("POST add day", anonymous=LOGIN, admin=302, admin_elsewhere=302, default=403),
    *_expect("POST remove day", anonymous=LOGIN, admin=302, admin_elsewhere=404, default=403),
    *_expect("POST settings", anonymous=LOGIN, admin=302, admin_elsewhere=302, default=403),
]


def _deal_with(world, quantity="20"):
    """A deal between the world's generator and the world's recycler, authorised."""
    lot = factories.steel_lot(world.generator, quantity=Decimal(quantity))
    licence = db.session.execute(
        db.select(Licence).filter_by(enterprise_id=world.recycler.enterprise_id)
    ).scalar_one()
    factories.demand(world.recycler, waste_codes=["ISW-17-01-01"], licence_id=licence.id)
    bid = factories.bid(world.recycler, lot, quantity=quantity)
    db.session.commit()
    deal = accept_bid(world.generator, bid.id)
    db.session.commit()
    after_commit_payment(deal)
    return Trip(deal, world.generator, world.recycler, world.transporter)


class Rows:
    """The rows a route needs, made on first use: a full set per test would take minutes."""

    def __init__(self, world):
        self.world = world

    @cached_property
    def trip(self) -> Trip:
        return _deal_with(self.world)

    @cached_property
    def deal(self) -> int:
        return self.trip.deal.id

    @cached_property
    def carrier(self) -> int:
        return self.world.transporter.enterprise_id

    @cached_property
    def submitted(self):
        return self.trip.start(2000)

    @cached_property
    def in_transit(self) -> int:
        return self.trip.pick_up(self.trip.start(2000)).id

    @cached_property
    def closed(self) -> int:
        t = self.trip
        return t.receive(t.pick_up(t.start(2000))).id

    @cached_property
    def done(self) -> int:
        """A deal whose one manifest is closed: ready to complete."""
        t = _deal_with(self.world, quantity="5")
        t.receive(t.pick_up(t.start(2000)))
        return t.deal.id

    @cached_property
    def day(self) -> int:
        park_id = self.world.admin.admin_park_id
        row = ParkCalendarDay(park_id=park_id, day=date(2031, 10, 6), kind="holiday")
        db.session.add(row)
        db.session.commit()
        return row.id


def _path(key: str, rows: Rows) -> str:
    if key == "GET verify":
        return f"/v/{rows.submitted.verify_token}"
    if key == "GET verify unknown":
        return "/v/" + "Z" * 43
    if key == "GET deal":
        return f"/deals/{rows.deal}"
    pages = {"GET manifest": "", "GET print": "/print", "GET pdf": "/pdf"}
    if key in pages:
        return f"/manifests/{rows.submitted.id}{pages[key]}"
    return key.partition(" ")[2]


def _pickup(rows: Rows):
    m = rows.submitted.id
    data = {
        "plate": "京A12345",
        "driver_name": "李师傅",
        "driver_phone": "13912345678",
        "picked_up_at": _local(1),
    }
    return f"/manifests/{m}/pickup", {f"m{m}-{k}": v for k, v in data.items()}


RECEIPT = {
    "received_kg": "2000",
    "treatment": "utilise",
    "treatment_method": "再生利用",
    "rejected_kg": "0",
    "alternate_receiver_id": "0",
}
REJECT = {"reason": "混有杂物", "goes_to": "generator", "alternate_receiver_id": "0"}
POSTS = {
    "POST pickup": _pickup,
    "POST receipt": lambda r: (
        f"/manifests/{r.in_transit}/receipt",
        {**RECEIPT, "received_at": _local(2)},
    ),
    "POST reject": lambda r: (f"/manifests/{r.in_transit}/reject", REJECT),
    "POST cancel": lambda r: (f"/manifests/{r.submitted.id}/cancel", {"note": "车辆故障"}),
    "POST correct": lambda r: (
        f"/manifests/{r.closed}/correct",
        {"reason": "复磅", "received_kg": "1990"},
    ),
    "POST start": lambda r: (
        f"/deals/{r.deal}/manifests",
        {"declared_kg": "1000", "transporter_id": str(r.carrier), "package_count": "0"},
    ),
    "POST allow-more": lambda r: (f"/deals/{r.deal}/allow-more", {"extra_kg": "1000"}),
    "POST complete": lambda r: (f"/deals/{r.done}/complete", {"confirm": "y"}),
    "POST add day": lambda r: (
        "/admin/manifests/calendar/days",
        {"day": "2031-10-07", "kind": "holiday", "name": "国庆"},
    ),
    "POST remove day": lambda r: (f"/admin/manifests/calendar/days/{r.day}/remove", {}),
    "POST settings": lambda r: (
        "/admin/manifests/settings",
        {"tolerance_pct": "4", "receipt_working_days": "5"},
    ),
}


def _request(client, key: str, rows: Rows):
    if key.startswith("POST "):
        path, data = POSTS[key](rows)
        return client.post(path, data={**data, "csrf_token": csrf_token(client, "/login")})
    return client.get(_path(key, rows))


@pytest.mark.parametrize(
    ("key", "role", "expected"), MATRIX, ids=[f"{k} as {r}" for k, r, _ in MATRIX]
)
def test_manifest_route_access(client, world, key, role, expected):
    rows = Rows(world)
    if key.startswith("POST "):
        POSTS[key](rows)  # make the rows before logging in, as the other users would
    elif key != "GET verify unknown" and key.partition(" ")[2][:1] != "/":
        _path(key, rows)
    if role != "anonymous":
        login(client, getattr(world, role))
    response = _request(client, key, rows)
    if expected == LOGIN:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_the_matrix_covers_every_manifest_route(app):
    covered = {
        "manifests.index",
        "manifests.transport",
        "manifests.detail",
        "manifests.print_page",
        "manifests.pdf",
        "manifests.verify",
        "manifests.sign_pickup",
        "manifests.sign_receipt",
        "manifests.reject",
        "manifests.cancel",
        "manifests.correct",
        "deals.start_manifest",
        "deals.allow_more",
        "deals.complete",
        "park_manifests.calendar_page",
        "park_manifests.flagged",
        "park_manifests.add_day",
        "park_manifests.remove_day",
        "park_manifests.save_settings",
    }
    ours = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("manifests.", "park_manifests."))
        or rule.endpoint in ("deals.start_manifest", "deals.allow_more", "deals.complete")
    }
    assert ours == covered
    assert len({k for k, _r, _e in MATRIX}) == 21
