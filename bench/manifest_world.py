"""The benchmark's world in PostgreSQL: one park (Ningbo's region code), a generator, a
recycler with a licence, a transporter, and N deals ready for manifests.

One template deal is made through the services (lot, bid, accept); the N deals the
workers use are copies of its lot, bid, deal and payment rows, inserted in bulk (the
same columns the services write), each with an authorised payment: at localstripe for
the gateway run, or at the in-process `NullGateway` for the run without it.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import insert, select, text

QUANTITY_KG = 10_000  # one vehicle trip per deal
PRICE_YUAN = Decimal(2000)  # per tonne: the recycler pays 20,000 yuan per deal
REGION = "330200"  # Ningbo
CODE = "900-041-49"  # waste packaging (HW49)


@dataclass(frozen=True)
class Cast:
    generator_user: int
    recycler_user: int
    transporter_user: int
    transporter: int


class NullGateway:
    """The payment gateway without the network: answers at once, as localstripe would."""

    def capture(self, intent_id: str, amount_fen: int, key: str):
        from market.deals.gateway import Intent

        return Intent(intent_id, "succeeded", amount_fen)

    def cancel(self, intent_id: str, key: str):
        from market.deals.gateway import Intent

        return Intent(intent_id, "canceled", 0)

    def find(self, key: str):
        return None


def reset(app) -> None:
    """Drop and recreate the bench database's schema and apply the migrations."""
    from flask_migrate import upgrade

    from market.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()


def build_cast(app) -> tuple[Cast, int]:
    """Park, enterprises, users and the template deal (authorised at the app's gateway)."""
    from market import clock
    from market.accounts import services as accounts
    from market.accounts import uscc
    from market.accounts.licences import approve_licence
    from market.catalog.loading import load_national_catalogue
    from market.deals import services as deals
    from market.extensions import db
    from market.listings import bidding
    from market.listings import services as listings

    with app.app_context():
        load_national_catalogue()
        park = accounts.create_park(slug="ningbo", name="宁波（基准）", region_code=REGION,
                                    lat=29.87, lon=121.55, is_demo=False)  # fmt: skip
        people = {}
        for i, (role, lat) in enumerate(
            (("generator", 29.87), ("recycler", 29.88), ("transporter", 29.86))
        ):
            enterprise = accounts.register_enterprise(
                accounts.EnterpriseInput(
                    park_id=park.id, name=f"宁波基准{role}有限公司",
                    uscc=uscc.make("91", REGION, f"BENCH{i:04d}"), roles=[role],
                    address="宁波市北仑区基准路1号", lat=lat, lon=121.55,
                    contact_name="王工", contact_phone="13912345678", industry="制造",
                )
            )  # fmt: skip
            people[role] = accounts.create_user(
                accounts.UserInput(email=f"{role}@bench.test", name=role, password="bench-pass-1"),
                enterprise=enterprise,
            )
        today = clock.today()
        licence = accounts.add_licence(
            people["recycler"].enterprise,
            accounts.LicenceInput(number="HW-BENCH-1", codes=[CODE],
                                  capacity_kg_per_year=10**10, valid_from=today - timedelta(30),
                                  valid_until=today + timedelta(900)),
        )  # fmt: skip
        approve_licence(None, licence)
        demand = listings.create_demand(
            people["recycler"],
            listings.DemandInput(waste_codes=[CODE], title="基准收购", licence_id=licence.id,
                                 remaining_capacity_t=Decimal(5_000_000), service_radius_km=100,
                                 price_offered_yuan=PRICE_YUAN, available_from=today,
                                 available_until=today + timedelta(300)),
        )  # fmt: skip
        listings.publish(people["recycler"], demand)
        lot = listings.create_supply(
            people["generator"],
            listings.SupplyInput(waste_code=CODE, title="基准废包装物", local_name="废包装桶",
                                 quantity=Decimal(QUANTITY_KG) / 1000, available_from=today,
                                 available_until=today + timedelta(60),
                                 asking_price_yuan=PRICE_YUAN),
        )  # fmt: skip
        listings.publish(people["generator"], lot)
        db.session.commit()
        bid = bidding.place_bid(people["recycler"], lot.id, bidding.BidInput(
            price_yuan=PRICE_YUAN, quantity_t=Decimal(QUANTITY_KG) / 1000))  # fmt: skip
        db.session.commit()
        deal = deals.accept_bid(people["generator"], bid.id)
        db.session.commit()
        deals.after_commit_payment(deal)
        cast = Cast(people["generator"].id, people["recycler"].id, people["transporter"].id,
                    people["transporter"].enterprise_id)  # fmt: skip
        return cast, deal.id


def _copies(conn, table, row: dict, changes: list[dict]) -> list[int]:
    if not changes:  # an empty parameter list would insert one row of defaults
        return []
    base = {k: v for k, v in row.items() if k != "id"}
    rows = [{**base, **change} for change in changes]
    result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return [r[0] for r in result]


def clone_deals(app, template_id: int, n: int, authorise=None) -> list[int]:
    """`n` copies of the template deal, each with its own lot, bid and authorised payment.
    `authorise(payment_id, deal_id, key)` returns the intent id (None: a made-up one)."""
    from market.extensions import db

    tables = db.metadata.tables
    lots, bids, deals, pays = (tables[t] for t in ("supply_listings", "bids", "deals", "payments"))
    with app.app_context(), db.engine.begin() as conn:
        deal = conn.execute(select(deals).where(deals.c.id == template_id)).mappings().one()
        lot = conn.execute(select(lots).where(lots.c.id == deal["supply_listing_id"])).mappings()
        bid = conn.execute(select(bids).where(bids.c.id == deal["bid_id"])).mappings().one()
        pay = conn.execute(select(pays).where(pays.c.deal_id == template_id)).mappings().one()
        lot_ids = _copies(conn, lots, dict(lot.one()), [{} for _ in range(n)])
        bid_ids = _copies(conn, bids, dict(bid), [{"supply_listing_id": i} for i in lot_ids])
        deal_ids = _copies(conn, deals, dict(deal), [
            {"supply_listing_id": lot, "bid_id": b} for lot, b in zip(lot_ids, bid_ids, strict=True)
        ])  # fmt: skip
        keys = [f"pay-{uuid4().hex}" for _ in deal_ids]
        pay_ids = _copies(conn, pays, dict(pay), [
            {"deal_id": d, "idempotency_key": k, "intent_id": None}
            for d, k in zip(deal_ids, keys, strict=True)
        ])  # fmt: skip
        for pid, did, key in zip(pay_ids, deal_ids, keys, strict=True):
            intent = authorise(pid, did, key) if authorise else f"pi_null_{pid}"
            conn.execute(pays.update().where(pays.c.id == pid).values(intent_id=intent))
    return deal_ids


def stripe_authoriser(app, payer_id: int):
    """Authorise each copied payment at the app's gateway (localstripe) for later capture."""
    from market.accounts.models import Enterprise
    from market.extensions import db

    with app.app_context():
        payer = db.session.get(Enterprise, payer_id)
        customer, method = payer.stripe_customer_id, payer.stripe_payment_method_id
    gateway = app.extensions["payments"]

    def authorise(payment_id: int, deal_id: int, key: str) -> str:
        amount = QUANTITY_KG * int(PRICE_YUAN) * 100 // 1000
        return gateway.authorise(payment_id=payment_id, deal_id=deal_id, amount_fen=amount,
                                 currency="cny", customer=customer, method=method,
                                 key=key).id  # fmt: skip

    return authorise
