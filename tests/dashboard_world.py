"""A small park with known numbers for the dashboard tests: deals, manifests, grades,
filings and licences at chosen times, so every figure can be worked out by hand."""

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from market import clock
from market.accounts import services as accounts
from market.catalog.models import WasteCode
from market.extensions import db
from market.manifests import flows
from market.manifests.models import Filing, Manifest
from market.manifests.tokens import new_verify_token
from tests import factories
from tests.manifest_rows import deal_for

_serial = itertools.count(500_000)


def at(days_ago: int) -> datetime:
    """Noon Beijing time (04:00 UTC), `days_ago` days before today."""
    return datetime.combine(clock.today() - timedelta(days=days_ago), time(4), tzinfo=UTC)


def code(value: str, park_slug: str | None = "north") -> WasteCode:
    rows = db.session.execute(db.select(WasteCode).filter_by(code=value)).scalars().all()
    park = factories.park(park_slug) if value.startswith("ISW") else None
    return next(r for r in rows if park is None or r.edition.park_id == park.id)


@dataclass
class DashboardWorld:
    """Period: 40 to 10 days ago. See each figure's test for the arithmetic."""

    world: object
    deals: list
    receivers: dict

    @property
    def start(self):
        return (clock.today() - timedelta(days=40)).isoformat()

    @property
    def end(self):
        return (clock.today() - timedelta(days=10)).isoformat()

    def args(self) -> str:
        return f"period=custom&start={self.start}&end={self.end}"


def manifest(deal, generator_id, receiver_id, transporter_id, status, submitted, **kw):
    serial = next(_serial)
    row = Manifest(number=f"2026110115{serial:06d}", year=2026, region_code="110115",
                   serial=serial, verify_token=new_verify_token(), deal_id=deal.id,
                   park_id=factories.park("north").id, generator_id=generator_id,
                   transporter_id=transporter_id, receiver_id=receiver_id,
                   waste_code_id=kw.pop("waste_code_id", deal.listing.waste_code_id),
                   waste_name="边角料", declared_kg=kw.get("received_kg") or 5_000, status=status,
                   submitted_at=submitted, submitted_by_id=deal.listing.created_by_id,
                   **kw)  # fmt: skip
    db.session.add(row)
    return row


def make(world) -> DashboardWorld:
    deals = []
    for made_ago, listed_ago in ((20, 22), (20, 26), (60, 61)):
        deal, lot, _recycler = deal_for(world.generator)
        deal.created_at, lot.published_at = at(made_ago), at(listed_ago)
        deals.append(deal)
    db.session.flush()
    far_park = accounts.create_park(slug="west", name="西园（测试）", region_code="110108",
                                    lat=39.99, lon=116.31)  # fmt: skip
    in_province = factories.enterprise(("recycler",), park_slug="west")
    east = factories.enterprise(("recycler",), park_slug="east")
    factories.licence(east, codes=["900-041-49"], capacity_kg_per_year=9_000_000)
    gen, carrier = world.generator.enterprise_id, world.transporter.enterprise_id
    home = deals[0].recycler_id
    d = deals[0]
    steel = d.listing.waste_code_id
    rows = [
        ("closed", at(20), dict(received_kg=10_000, treatment="utilise", received_at=at(19))),
        ("closed", at(20), dict(received_kg=6_000, treatment="dispose", received_at=at(18))),
        ("in_transit", at(15), {}),
        ("cancelled", at(15), {}),
        ("closed", at(60), dict(received_kg=3_000, treatment="utilise", received_at=at(59))),
        ("closed", at(50), dict(received_kg=4_000, treatment="utilise", received_at=at(30))),
        ("closed", at(5), dict(received_kg=2_000, treatment="utilise", received_at=at(4))),
    ]
    for status, submitted, extra in rows:
        manifest(d, gen, home, carrier, status, submitted, waste_code_id=steel, **extra)
    # the same class shipped out of the park: 1 t to the same province, 0.5 t farther
    manifest(d, gen, in_province.id, carrier, "closed", at(100), waste_code_id=steel,
             received_kg=1_000, treatment="utilise", received_at=at(100))  # fmt: skip
    manifest(d, gen, east.id, carrier, "closed", at(100), waste_code_id=steel,
             received_kg=500, treatment="dispose", received_at=at(100))  # fmt: skip
    _filings(world)
    factories.supply(world.other)  # open: counted
    factories.supply(world.other, publish=False)  # a draft: not counted
    factories.graded(world.recycler.enterprise, "A")
    factories.graded(world.other.enterprise, "B")
    flows.rebuild()  # the rows above were written straight into the table, not by the services
    db.session.commit()
    del far_park
    return DashboardWorld(world, deals, {"home": home, "province": in_province, "east": east})


def _filings(world) -> None:
    """100 t of steel (ISW-17), 5 t of waste oil (HW08), 2 t of oily rags (HW49) this year;
    and 999 t of steel in a filing that ended before the twelve months."""
    e = world.generator.enterprise
    last = clock.today() - timedelta(days=10)
    for value, kg, ends in (("ISW-17-01-01", 100_000, last - timedelta(days=30)),
                            ("900-214-08", 5_000, last - timedelta(days=30)),
                            ("900-041-49", 2_000, last - timedelta(days=60)),
                            ("ISW-17-01-02", 999_000, last - timedelta(days=400))):  # fmt: skip
        row = Filing(enterprise_id=e.id, waste_code_id=code(value).id, period_kind="monthly",
                     period_key=ends.strftime("%Y-%m"), period_start=ends.replace(day=1),
                     period_end=ends, generated_kg=kg, filed_on=ends,
                     filed_by_id=world.generator.id)  # fmt: skip
        db.session.add(row)
