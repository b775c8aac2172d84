"""Factories: build rows through the services, with valid defaults and overrides."""

import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from market import clock
from market.accounts import services as accounts
from market.accounts import uscc
from market.accounts.models import Enterprise, Park, User
from market.catalog.loading import load_national_catalogue, load_park_catalogue
from market.extensions import db
from market.listings import services as listings

PASSWORD = "correct-horse-42"
_seq = itertools.count(1)


def base_catalogue() -> None:
    load_national_catalogue()
    for slug, name, lat, lon, region in (
        ("north", "北园（测试）", 39.79, 116.51, "110115"),
        ("east", "东园（测试）", 36.68, 117.13, "370171"),
    ):
        park = accounts.create_park(slug=slug, name=name, region_code=region, lat=lat, lon=lon)
        load_park_catalogue(park)


def park(slug: str = "north") -> Park:
    return db.session.execute(db.select(Park).filter_by(slug=slug)).scalar_one()


def valid_uscc() -> str:
    n = next(_seq)
    return uscc.make("91", "110115", f"MA{n:07d}")


def enterprise(
    roles=("generator",), park_slug: str = "north", lat=None, lon=None, **overrides
) -> Enterprise:
    p = park(park_slug)
    data = dict(
        park_id=p.id,
        name=f"测试企业{next(_seq)}有限公司",
        uscc=valid_uscc(),
        roles=list(roles),
        address="测试路1号",
        lat=lat if lat is not None else p.lat,
        lon=lon if lon is not None else p.lon,
        contact_name="王工",
        contact_phone="13800000000",
    )
    data.update(overrides)
    return accounts.register_enterprise(accounts.EnterpriseInput(**data))


def user(
    enterprise_row: Enterprise | None = None, admin_of: Park | None = None, email: str | None = None
) -> User:
    return accounts.create_user(
        accounts.UserInput(
            email=email or f"u{next(_seq)}@test.example", name="测试用户", password=PASSWORD
        ),
        enterprise=enterprise_row,
        admin_park=admin_of,
    )


def licence(
    enterprise_row: Enterprise, codes=("900-214-08", "ISW-17-01-01"), approved=True, **overrides
):
    """A licence; approved by the system unless `approved` is False (then pending)."""
    data = dict(
        number=f"LIC-{next(_seq):06d}",
        codes=list(codes),
        capacity_kg_per_year=5_000_000,
        valid_from=clock.today() - timedelta(days=30),
        valid_until=clock.today() + timedelta(days=365),
    )
    data.update(overrides)
    row = accounts.add_licence(enterprise_row, accounts.LicenceInput(**data))
    if approved:
        from market.accounts.licences import approve_licence

        approve_licence(None, row)
    return row


def supply_input(**overrides) -> listings.SupplyInput:
    data = dict(
        waste_code="900-214-08",
        title="废机油 5 吨",
        local_name="废机油",
        quantity=Decimal("5"),
        available_from=clock.today(),
        available_until=clock.today() + timedelta(days=30),
        asking_price_yuan=Decimal("1500"),
    )
    data.update(overrides)
    return listings.SupplyInput(**data)


def demand_input(**overrides) -> listings.DemandInput:
    data = dict(
        waste_codes=["ISW-17-01-01"],
        title="收购废钢",
        remaining_capacity_t=Decimal("100"),
        service_radius_km=50,
        available_from=clock.today(),
        available_until=clock.today() + timedelta(days=60),
    )
    data.update(overrides)
    return listings.DemandInput(**data)


def supply(owner: User, publish: bool = True, **overrides):
    row = listings.create_supply(owner, supply_input(**overrides))
    if publish:
        listings.publish(owner, row)
    return row


def demand(owner: User, publish: bool = True, **overrides):
    row = listings.create_demand(owner, demand_input(**overrides))
    if publish:
        listings.publish(owner, row)
    return row


@dataclass
class World:
    """One of each kind of user the access rules distinguish, in park "north"."""

    generator: User
    recycler: User
    transporter: User
    other: User
    admin: User
    admin_elsewhere: User

    @classmethod
    def make(cls) -> "World":
        gen = enterprise(("generator",))
        rec = enterprise(("recycler",))
        licence(rec)
        world = cls(
            generator=user(gen),
            recycler=user(rec),
            transporter=user(enterprise(("transporter",))),
            other=user(enterprise(("generator",))),
            admin=user(admin_of=park("north")),
            admin_elsewhere=user(admin_of=park("east")),
        )
        db.session.commit()
        return world


def graded(e: Enterprise, grade: str, valid_until=None, tell: bool = False):
    """A published grade in force, written straight as the workflow leaves it (tests that
    need a grade, not the workflow; tests/integration/test_credit_*.py run the workflow).
    `tell` also raises the grade version, as publishing does, without marking this
    process's index dirty: what another worker's publication looks like here."""
    from market.credit.models import CreditEventRow, Evaluation
    from market.credit.steering import bump_version

    today = clock.today()
    until = valid_until or today + timedelta(days=700)
    previous = db.session.execute(
        db.select(Evaluation).where(
            Evaluation.enterprise_id == e.id,
            Evaluation.status.in_(["published", "appealed", "upheld", "changed"]),
        )
    ).scalar_one_or_none()
    if previous is not None:
        previous.status, previous.ended_on = "superseded", today
        db.session.flush()
    row = Evaluation(park_id=e.park_id, enterprise_id=e.id, status="published",
                     roles=",".join(r.value for r in e.roles), window_start=today,
                     window_end=today, grade=grade, published_on=today, valid_until=until,
                     appeal_until=today + timedelta(days=15))  # fmt: skip
    db.session.add(row)
    db.session.flush()
    db.session.add(CreditEventRow(evaluation_id=row.id, event="publish", from_status="approved",
                                  to_status="published", note="test factory"))  # fmt: skip
    if tell:
        bump_version()
    db.session.flush()
    db.session.expire(e, ["evaluation_in_force"])
    return row


def bidder(codes=("ISW-17-01-01",), capacity_t: str = "100", lat=None, lon=None, grade=None):
    """A recycler with a licence and an open demand listing taking `codes`."""
    from market.extensions import db as _db

    e = enterprise(("recycler",), lat=lat, lon=lon)
    if grade:
        graded(e, grade)
    lic = licence(e, codes=list(codes))
    u = user(e)
    demand(u, waste_codes=list(codes), licence_id=lic.id, remaining_capacity_t=Decimal(capacity_t))
    _db.session.flush()
    return u


def bid(recycler: User, lot, price="1000", quantity="5", **kw):
    from market.listings.bidding import BidInput, place_bid

    return place_bid(
        recycler, lot.id, BidInput(price_yuan=Decimal(price), quantity_t=Decimal(quantity), **kw)
    )


def steel_lot(owner: User, **overrides):
    """The usual lot of the bidding tests: 20 t of general steel offcuts, open."""
    data = dict(
        waste_code="ISW-17-01-01",
        title="冲压边角料 20 吨",
        local_name="边角料",
        quantity=Decimal("20"),
    )
    data.update(overrides)
    return supply(owner, **data)
