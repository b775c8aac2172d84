"""The load test's world in PostgreSQL (database `bench_load`): 1 million listings of a
province-sized exchange, the users who log in to browse, match and bid, and deals ready
for manifests.

Made from the other benchmarks' builders, on the schema of the app's own migrations
(`manifest_world.reset` drops the schema and runs `flask db upgrade`'s upgrade):

- `manifest_world.build_cast`: the Ningbo park with a generator, a licensed recycler and a
  transporter made through the services (passwords `bench-pass-1`), and one deal;
  `manifest_world.clone_deals`: `--deals` copies of it, each ready for a manifest (the
  payment's intent is a made-up id: the load test starts, picks up and receives
  manifests, and never captures);
- `synthetic.World`, `synthetic.lots`, `synthetic.demands`: sites in 40 park clusters in a
  Shandong-sized box, codes from seeds/catalog with their skewed popularity, quantities,
  radii — here `--listings` listings (80 % supply lots, 20 % demands) of `--enterprises`
  enterprises in one province park, written in bulk like `dashboard.Builder` does.

Listing history over two years: a lot is open only if published in the last 30 days and
not yet dealt (most are awarded, closed or expired later), a demand if published in the
last year and not withdrawn — so of 1,000,000 listings about 2-3 % of the lots and half
the demands are open, as on an exchange that has run for two years. The split is printed.

Every enterprise has one user `u<enterprise id>@load.test` with the password
`bench-pass-1` (one scrypt hash, written to every row). API tokens for the cast's three
users and the ids the locustfile needs go to a JSON file (`--out`, default
bench/load/world.json, ignored by git).

    .venv/bin/python -m bench.load.world                     # 1,000,000 listings
    .venv/bin/python -m bench.load.world --listings 20000    # smoke run
"""

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bench import manifest_world, synthetic  # noqa: E402
from bench.dashboard import Builder  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_load"
OUT = Path(__file__).resolve().parent / "world.json"
PASSWORD = "bench-pass-1"
REGION = "370100"  # Jinan
SUPPLY_SHARE = 0.8
DAY = 86400


def make_app(url: str, stripe_base: str):
    from market.app import create_app
    from market.config import Config, normalise_database_url
    from market.deals.gateway import gateway_from_config

    config = type(
        "LoadConfig",
        (Config,),
        {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
            "STRIPE_API_BASE": stripe_base,
            "REDIS_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False,
            "RATELIMIT_STORAGE_OPTIONS": {},
        },
    )
    app = create_app(config)
    app.extensions["payments"] = gateway_from_config(app.config)
    return app


def _province(app) -> tuple[int, dict[str, int]]:
    """The province park and its catalogue: code -> waste_codes.id (ISW of this park,
    HW national)."""
    from market.accounts import services as accounts
    from market.catalog.loading import load_park_catalogue
    from market.catalog.models import WasteCode
    from market.extensions import db

    with app.app_context():
        park = accounts.create_park(
            slug="jinan",
            name="济南（负载测试）",
            region_code=REGION,
            lat=36.4,
            lon=118.8,
            is_demo=False,
        )
        load_park_catalogue(park)
        db.session.commit()
        rows = db.session.execute(
            select(WasteCode.code, WasteCode.id, WasteCode.edition_id).where(
                WasteCode.edition.has(park_id=park.id) | ~WasteCode.code.startswith("ISW")
            )
        ).all()
        return park.id, {code: (wid, edition) for code, wid, edition in rows}


def _password_hash(app) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method=app.config["PASSWORD_HASH_METHOD"])


def build(app, listings: int, enterprises: int, deals: int, seed: int = 11) -> dict:
    from market import clock
    from market.extensions import db

    started = time.perf_counter()
    manifest_world.reset(app)
    cast, template = manifest_world.build_cast(app)
    deal_ids = manifest_world.clone_deals(app, template, deals)
    print(f"  cast and {len(deal_ids):,} deals: {time.perf_counter() - started:.0f} s", flush=True)
    with app.app_context():
        today = clock.today()
    park_id, codes = _province(app)
    n_supply = int(listings * SUPPLY_SHARE)
    n_demand = listings - n_supply
    world = synthetic.World.make(enterprises * 5, seed=seed)  # enterprises = n // 5 sites
    rng = np.random.default_rng([seed, listings])
    now = datetime.now(UTC)
    with app.app_context(), db.engine.begin() as conn:
        b = Builder(conn, random.Random(seed), now)
        people = _enterprises(b, app, park_id, world, enterprises, today)
        print(f"  enterprises and users: {time.perf_counter() - started:.0f} s", flush=True)
        lots = _lots(b, people, world, codes, n_supply, rng, today)
        print(f"  {n_supply:,} lots: {time.perf_counter() - started:.0f} s", flush=True)
        demands = _demands(b, people, world, codes, n_demand, rng, today)
        print(f"  {n_demand:,} demands: {time.perf_counter() - started:.0f} s", flush=True)
    # as autovacuum would soon after: statistics, and the visibility map index-only scans
    # need (VACUUM cannot run inside the transaction)
    with app.app_context(), db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return {
        "built_s": round(time.perf_counter() - started, 1),
        "listings": listings,
        "supply": n_supply,
        "demand": n_demand,
        "open_supply": len(lots["open"]),
        "open_demand": len(demands["open"]),
    }


SAMPLE = 5_000


def describe(app) -> dict:
    """What the locustfile needs, read from the database (so it also serves a world built
    before): fresh API tokens for the cast, the deals without a manifest yet, and samples of
    open lots and open demands with their owners' logins."""
    from market.accounts.auth import issue_token
    from market.accounts.models import Enterprise, User
    from market.deals.models import Deal
    from market.extensions import db
    from market.listings.models import DemandListing, SupplyListing
    from market.manifests.models import Manifest

    with app.app_context():
        tokens, ids = {}, {}
        for role in ("generator", "recycler", "transporter"):
            user = db.session.scalars(select(User).filter_by(email=f"{role}@bench.test")).one()
            tokens[role] = issue_token(user, "load test")[1]
            ids[role] = user.enterprise_id
        db.session.commit()
        deals = db.session.scalars(
            select(Deal.id)
            .where(
                Deal.generator_id == ids["generator"],
                Deal.status == "made",
                ~select(Manifest.id).where(Manifest.deal_id == Deal.id).exists(),
            )
            .order_by(Deal.id)
        ).all()

        def owned(model):
            rows = db.session.execute(
                select(model.id, User.email)
                .join(Enterprise, Enterprise.id == model.enterprise_id)
                .join(User, User.enterprise_id == Enterprise.id)
                .where(model.status == "open", User.email.like("%@load.test"))
                .order_by(func.random())
                .limit(SAMPLE)
            ).all()
            return [list(r) for r in rows]

        counts = {
            name: db.session.scalar(select(func.count()).select_from(model).where(*where))
            for name, model, where in (
                ("supply", SupplyListing, ()),
                ("demand", DemandListing, ()),
                ("open_supply", SupplyListing, (SupplyListing.status == "open",)),
                ("open_demand", DemandListing, (DemandListing.status == "open",)),
            )
        }
        return {
            "counts": counts,
            "tokens": tokens,
            "transporter_id": ids["transporter"],
            "deal_ids": list(deals),
            "lots": owned(SupplyListing),
            "demands": owned(DemandListing),
            "password": PASSWORD,
        }


def _enterprises(b: Builder, app, park_id: int, world, n: int, today) -> dict:
    from market.accounts import uscc

    recyclers = max(1, n // 5)
    rows = []
    for i in range(n):
        recycler = i < recyclers
        kind = "回收" if recycler else "产废"
        rows.append(
            dict(
                park_id=park_id,
                name=f"负载{kind}{i:05d}有限公司",
                uscc=uscc.make("91", REGION, f"L{i:08d}"),
                is_generator=not recycler,
                is_recycler=recycler,
                is_transporter=False,
                industry="装备制造",
                address="济南市负载路1号",
                lat=float(world.lat[i]),
                lon=float(world.lon[i]),
                contact_name="王工",
                contact_phone="13800000000",
                created_at=b.now,
            )
        )
    ids = b.ids("enterprises", rows)
    digest = _password_hash(app)
    user_ids = b.ids(
        "users",
        [
            dict(
                email=f"u{e}@load.test",
                name="负载用户",
                password_hash=digest,
                enterprise_id=e,
                locale="",
                active=True,
                created_at=b.now,
            )
            for e in ids
        ],
    )
    return {
        "ids": ids,
        "recyclers": ids[:recyclers],
        "generators": ids[recyclers:],
        "user": dict(zip(ids, user_ids, strict=True)),
        "site": {e: (float(world.lat[i]), float(world.lon[i])) for i, e in enumerate(ids)},
        "generator_users": [f"u{e}@load.test" for e in ids[recyclers:]],
    }


def copy_rows(b: Builder, table: str, rows: list[dict], ids: bool = True) -> list[int]:
    """Bulk insert by COPY (some 10x faster than multi-row INSERT at a million rows); the
    ids are drawn from the table's own sequence first, so later inserts carry on."""
    if not rows:
        return []
    raw = b.conn.connection.driver_connection
    columns = list(rows[0])
    new: list[int] = []
    with raw.cursor() as cur:
        if ids:
            cur.execute(
                f"SELECT nextval('{table}_id_seq') FROM generate_series(1, %s)", (len(rows),)
            )
            new = [r[0] for r in cur.fetchall()]
            columns = ["id", *columns]
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for i, row in enumerate(rows):
                values = list(row.values())
                copy.write_row([new[i], *values] if ids else values)
    return new


def _published(rng, n: int, now: datetime) -> list[datetime]:
    """Publication times over two years, oldest first: rows are written in the order they
    were published, as on a running exchange (the open ones end up together at the end of
    the table, not scattered over all of its pages)."""
    ages = np.sort(rng.uniform(0, 730 * DAY, n))[::-1]
    return [now - timedelta(seconds=float(a)) for a in ages]


def _lots(b: Builder, people: dict, world, codes: dict, n: int, rng, today) -> dict:
    drawn = synthetic.lots(world, n)
    gens = people["generators"]
    owner = rng.integers(0, len(gens), n)
    published = _published(rng, n, b.now)
    fate = rng.random(n)
    open_ids, chunk = [], []
    for i, s in enumerate(drawn):
        code = codes.get(s.code.code)
        if code is None:
            continue
        e = gens[int(owner[i])]
        pub = published[i]
        recent = (b.now - pub).days < 30
        status = (
            ("open" if fate[i] < 0.7 else "awarded")
            if recent
            else (
                "awarded"
                if fate[i] < 0.55
                else "expired"
                if fate[i] < 0.85
                else "closed"
                if fate[i] < 0.95
                else "withdrawn"
            )
        )
        lat, lon = people["site"][e]
        chunk.append(
            dict(
                enterprise_id=e,
                created_by_id=people["user"][e],
                waste_code_id=code[0],
                edition_id=code[1],
                title=f"批次{i}",
                local_name="边角料",
                description="",
                unit="t",
                quantity=max(1, s.quantity_kg // 1000),
                kg_per_unit=1000,
                quantity_kg=s.quantity_kg,
                recurrence="once",
                packaging="",
                address="济南市负载路1号",
                lat=lat,
                lon=lon,
                available_from=pub.date(),
                available_until=(
                    max(today, pub.date()) + timedelta(45)
                    if status == "open"
                    else pub.date() + timedelta(45)
                ),
                asking_price_fen=int(rng.integers(0, 300)) * 1000,
                bidding_mode="open",
                status=status,
                created_at=pub,
                updated_at=pub,
                published_at=pub,
            )
        )
        if len(chunk) >= 100_000:
            open_ids += _copy_lots(b, chunk)
            chunk = []
    open_ids += _copy_lots(b, chunk)
    return {"open": open_ids}


def _copy_lots(b: Builder, rows: list[dict]) -> list[int]:
    """Write the lots; the ids of the open ones."""
    new = copy_rows(b, "supply_listings", rows)
    return [lid for lid, row in zip(new, rows, strict=True) if row["status"] == "open"]


def _demands(b: Builder, people: dict, world, codes: dict, n: int, rng, today) -> dict:
    drawn = synthetic.demands(world, n)
    recs = people["recyclers"]
    owner = rng.integers(0, len(recs), n)
    published = _published(rng, n, b.now)
    fate = rng.random(n)
    rows, accepted = [], []
    hazardous: dict[int, set] = {}
    for i, d in enumerate(drawn):
        ids = [codes[k.code][0] for k in d.codes if k.code in codes]
        if not ids:
            continue
        e = recs[int(owner[i])]
        pub = published[i]
        recent = (b.now - pub).days < 365
        status = (
            ("open" if fate[i] < 0.5 else "closed")
            if recent
            else ("expired" if fate[i] < 0.7 else "closed")
        )
        if any(k.hazardous for k in d.codes):
            hazardous.setdefault(e, set()).update(
                codes[k.code][0] for k in d.codes if k.hazardous and k.code in codes
            )
        lat, lon = people["site"][e]
        rows.append(
            dict(
                enterprise_id=e,
                created_by_id=people["user"][e],
                title=f"收购{i}",
                description="",
                quality_requirements="",
                remaining_capacity_kg=max(d.remaining_kg, 1000),
                service_radius_km=int(d.radius_km),
                price_offered_fen=int(rng.integers(0, 300)) * 1000,
                address="济南市负载路1号",
                lat=lat,
                lon=lon,
                available_from=pub.date(),
                available_until=(
                    max(today, pub.date()) + timedelta(365)
                    if status == "open"
                    else pub.date() + timedelta(365)
                ),
                status=status,
                created_at=pub,
                updated_at=pub,
                published_at=pub,
            )
        )
        accepted.append(ids)
    licence_of = {}
    if hazardous:
        owners = sorted(hazardous)
        lic_ids = b.ids(
            "licences",
            [
                dict(
                    enterprise_id=e,
                    number=f"LIC-L-{e}",
                    capacity_kg_per_year=10**10,
                    valid_from=today - timedelta(400),
                    valid_until=today + timedelta(900),
                    status="approved",
                    submitted_at=b.now,
                    reviewed_at=b.now,
                )
                for e in owners
            ],
        )
        licence_of = dict(zip(owners, lic_ids, strict=True))
        b.put(
            "licence_codes",
            [
                dict(licence_id=licence_of[e], waste_code_id=c)
                for e in owners
                for c in sorted(hazardous[e])
            ],
        )
    for row in rows:
        row["licence_id"] = licence_of.get(row["enterprise_id"])
    demand_ids = copy_rows(b, "demand_listings", rows)
    copy_rows(
        b,
        "demand_listing_codes",
        [
            dict(demand_listing_id=d, waste_code_id=c)
            for d, ids in zip(demand_ids, accepted, strict=True)
            for c in ids
        ],
        ids=False,
    )
    open_ids = [d for d, r in zip(demand_ids, rows, strict=True) if r["status"] == "open"]
    with_open = sorted({r["enterprise_id"] for r in rows if r["status"] == "open"})
    return {"open": open_ids, "recycler_users": [f"u{e}@load.test" for e in with_open]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--stripe", default="http://127.0.0.1:6501", help="localstripe's URL")
    parser.add_argument("--listings", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=5_000)
    parser.add_argument("--deals", type=int, default=5_000)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument(
        "--describe-only",
        action="store_true",
        help="do not build: only write --out from the database as it is",
    )
    args = parser.parse_args(argv)
    app = make_app(args.database_url, args.stripe)
    if not args.describe_only:
        info = build(app, args.listings, args.enterprises, args.deals)
        print(
            f"built {info['listings']:,} listings ({info['supply']:,} lots, "
            f"{info['open_supply']:,} open; {info['demand']:,} demands, "
            f"{info['open_demand']:,} open) in {info['built_s']} s"
        )
    described = describe(app)
    Path(args.out).write_text(json.dumps(described))
    print(f"{described['counts']}, {len(described['deal_ids']):,} deals ready -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
