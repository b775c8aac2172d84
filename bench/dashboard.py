"""Benchmark of the park dashboard's reads on PostgreSQL at the scale issue 10 names: a
park with 1 million manifests and 100k listings must render its dashboard in under a
second.

The park is written straight into the tables (bulk inserts, not the services: only the
reads are measured): 300 generators, 40 licensed recyclers (a quarter beyond the match
radius), 10 transporters; `--listings` supply lots over two years, 60% of them dealt;
`--manifests` manifests spread over those deals and two years, mostly closed; a year of
monthly filings. Being bulk-inserted, the manifests are counted into the dashboard's
monthly flow summary by `flows.rebuild()` (timed), as `flask dashboard rebuild` does.
Then, for the period "this year", the last 90 days and a span inside two months (45 to 15
days ago: part months read from the manifests), each read is timed (median of `--repeat`
runs, warm) with the summary ("after") and with the reads as they were before it
(`bench.dashboard_before`, "before"), and their results compared (they must be equal): the
headline figures, the trends, the Sankey rows, the capacity gaps; then the desk's unbid
lots, and the whole page through the test client, before and after.
`--explain` prints PostgreSQL's plans of the headline figures' queries.

Run from the repository root (database `bench_dashboard`, created once with
`psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_dashboard'`; its schema is
dropped and recreated):

    .venv/bin/python -m bench.dashboard                         # 1,000,000 / 100,000
    .venv/bin/python -m bench.dashboard --quick                 # smoke run: 5,000 / 1,000
    .venv/bin/python -m bench.dashboard --manifests 200000 --listings 20000 --explain
    .venv/bin/python -m bench.dashboard --no-build     # measure again, same database
"""

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_dashboard"
REGION = "110115"
CHUNK = 20_000
TARGET_SECONDS = 1.0
CODES = ["ISW-17-01-01", "ISW-17-03-01", "ISW-17-08-01", "900-214-08", "900-041-49",
         "ISW-07-02-01"]  # fmt: skip


def make_app(url: str):
    from market.app import create_app
    from market.config import Config, normalise_database_url

    config = type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                                             "WTF_CSRF_ENABLED": False})  # fmt: skip
    return create_app(config)


def chunks(rows, size=CHUNK):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


class Builder:
    """Writes the park; ids come back from the inserts."""

    def __init__(self, conn, rng: random.Random, now: datetime):
        from market.extensions import db

        self.conn, self.rng, self.now, self.t = conn, rng, now, db.metadata.tables

    def ids(self, table: str, rows: list[dict]) -> list[int]:
        out = []
        for part in chunks(rows):
            result = self.conn.execute(
                insert(self.t[table]).returning(self.t[table].c.id, sort_by_parameter_order=True),
                part,
            )
            out += [r[0] for r in result]
        return out

    def put(self, table: str, rows: list[dict]) -> None:
        for part in chunks(rows):
            self.conn.execute(insert(self.t[table]), part)

    def ago(self, days_max: int) -> datetime:
        return self.now - timedelta(seconds=self.rng.randint(0, days_max * 86400))


def build(app, manifests: int, listings: int, seed: int = 10) -> dict:
    from market import clock
    from market.accounts import services as accounts
    from market.catalog.loading import load_national_catalogue, load_park_catalogue
    from market.catalog.models import WasteCode
    from market.extensions import db

    with app.app_context():
        load_national_catalogue()
        park = accounts.create_park(slug="bench", name="经开区（基准）", region_code=REGION,
                                    lat=39.79, lon=116.51)  # fmt: skip
        load_park_catalogue(park)
        admin = accounts.create_user(
            accounts.UserInput(email="admin@bench.test", name="管理员", password="bench-pass-1"),
            admin_park=park,
        )
        db.session.commit()
        codes = {c.code: c.id for c in db.session.scalars(db.select(WasteCode).where(
            WasteCode.code.in_(CODES), (WasteCode.edition.has(park_id=park.id))
            | ~WasteCode.code.startswith("ISW")))}  # fmt: skip
        park_id, admin_id, today = park.id, admin.id, clock.today()
    with app.app_context(), db.engine.begin() as conn:
        b = Builder(conn, random.Random(seed), datetime.now(UTC))
        people = _enterprises(b, park_id, codes, today)
        lots, deals = _trading(b, people, codes, listings, today)
        _manifests(b, park_id, people, deals, manifests)
        _filings(b, people, codes, today)
    with app.app_context():
        from market.manifests import flows

        started = time.perf_counter()
        rows = flows.rebuild()
        db.session.commit()
        summary_s = time.perf_counter() - started
        print(f"flow summary rebuilt: {rows:,} rows in {summary_s:.1f} s")
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return {"park_id": park_id, "admin_id": admin_id, "lots": len(lots), "deals": len(deals),
            "summary_rows": rows, "summary_s": round(summary_s, 2)}  # fmt: skip


def existing(app) -> dict:
    """The park a previous run built (--no-build)."""
    from market.accounts.models import Park, User
    from market.deals.models import Deal
    from market.extensions import db
    from market.manifests.models import ParkFlowSummary

    with app.app_context():
        park = db.session.scalar(db.select(Park).filter_by(slug="bench"))
        admin = db.session.scalar(db.select(User).filter_by(email="admin@bench.test"))
        count = db.session.scalar(db.select(db.func.count(ParkFlowSummary.id)))
        deals = db.session.scalar(db.select(db.func.count(Deal.id)))
        return {"park_id": park.id, "admin_id": admin.id, "deals": deals, "summary_rows": count}


def _enterprise(b: Builder, park_id: int, i: int, role: str, km: float) -> dict:
    from market.accounts import uscc

    angle = b.rng.uniform(0, 2 * math.pi)
    return dict(park_id=park_id, name=f"基准{role}{i:04d}有限公司",
                uscc=uscc.make("91", REGION, f"B{role[0].upper()}{i:07d}"),
                is_generator=role == "generator", is_recycler=role == "recycler",
                is_transporter=role == "transporter",
                industry=b.rng.choice(["电子信息", "汽车制造", "生物医药", "装备制造"]),
                address="基准路1号", lat=39.79 + km * math.cos(angle) / 111.2,
                lon=116.51 + km * math.sin(angle) / 85.5, contact_name="王工",
                contact_phone="13800000000", created_at=b.now)  # fmt: skip


def _enterprises(b: Builder, park_id: int, codes: dict, today) -> dict:
    specs = [("generator", 300, 5), ("recycler", 40, 10), ("transporter", 10, 5)]
    people = {}
    for role, n, km in specs:
        rows = [_enterprise(b, park_id, i, role, km if i % 4 else km * 20) for i in range(n)]
        people[role] = b.ids("enterprises", rows)
    users = [dict(email=f"u{e}@bench.test", name="用户", password_hash="x", enterprise_id=e,
                  locale="", active=True, created_at=b.now)
             for e in people["generator"] + people["recycler"]]  # fmt: skip
    user_ids = b.ids("users", users)
    people["user"] = dict(zip(people["generator"] + people["recycler"], user_ids, strict=True))
    licences = b.ids("licences", [
        dict(enterprise_id=e, number=f"LIC-B-{e}",
             capacity_kg_per_year=b.rng.randint(1, 50) * 10**6,
             valid_from=today - timedelta(400), valid_until=today + timedelta(400))
        for e in people["recycler"]
    ])  # fmt: skip
    b.put("licence_codes", [dict(licence_id=lic, waste_code_id=codes[c])
                            for i, lic in enumerate(licences)
                            for c in CODES[i % 3 :: 2]])  # fmt: skip
    people["demand"] = b.ids("demand_listings", [
        dict(enterprise_id=e, created_by_id=people["user"][e], licence_id=lic, title="长期收购",
             description="", quality_requirements="", remaining_capacity_kg=10**9,
             service_radius_km=100, price_offered_fen=0, address="基准路", lat=39.8, lon=116.5,
             available_from=today - timedelta(700), available_until=today + timedelta(300),
             status="open", created_at=b.now, updated_at=b.now, published_at=b.now)
        for e, lic in zip(people["recycler"], licences, strict=True)
    ])  # fmt: skip
    return people


def _trading(b: Builder, people: dict, codes: dict, listings: int, today):
    lots, deal_rows = [], []
    for i in range(listings):
        gen = people["generator"][i % 300]
        published = b.ago(730)
        dealt = i % 5 < 3
        status = "awarded" if dealt else b.rng.choice(["open", "open", "closed", "expired"])
        lots.append(dict(enterprise_id=gen, created_by_id=people["user"][gen],
                         waste_code_id=codes[CODES[i % len(CODES)]], edition_id=1, title="基准批次",
                         local_name="边角料", description="", unit="t", quantity=20,
                         kg_per_unit=1000, quantity_kg=20_000, recurrence="once", packaging="",
                         address="基准路", lat=39.79, lon=116.51,
                         available_from=published.date(),
                         available_until=max(today, published.date()) + timedelta(30),
                         asking_price_fen=100_000, bidding_mode="open", status=status,
                         created_at=published, updated_at=published,
                         published_at=published))  # fmt: skip
    edition = b.conn.execute(select(b.t["waste_codes"].c.edition_id).where(
        b.t["waste_codes"].c.id == codes[CODES[0]])).scalar_one()  # fmt: skip
    for row in lots:
        row["edition_id"] = edition
    lot_ids = b.ids("supply_listings", lots)
    dealt = [(i, lid) for i, lid in enumerate(lot_ids) if lots[i]["status"] == "awarded"]
    bids = []
    for n, (i, lid) in enumerate(dealt):
        rec = people["recycler"][n % 40]
        bids.append(dict(supply_listing_id=lid, enterprise_id=rec,
                         demand_listing_id=people["demand"][n % 40],
                         created_by_id=people["user"][rec], price_fen=100_000, quantity_kg=20_000,
                         valid_until=b.now + timedelta(7), note="", match_score=0.8,
                         status="accepted", created_at=lots[i]["published_at"]))  # fmt: skip
    bid_ids = b.ids("bids", bids)
    for (i, lid), bid, bid_id in zip(dealt, bids, bid_ids, strict=True):
        made = min(b.now, lots[i]["published_at"] + timedelta(hours=b.rng.randint(2, 400)))
        deal_rows.append(dict(supply_listing_id=lid, bid_id=bid_id,
                              demand_listing_id=bid["demand_listing_id"],
                              generator_id=lots[i]["enterprise_id"],
                              recycler_id=bid["enterprise_id"], quantity_kg=20_000,
                              price_fen=100_000, amount_fen=2_000_000, payer="recycler",
                              status="made", extra_allowed_kg=0, created_at=made))  # fmt: skip
    deal_ids = b.ids("deals", deal_rows)
    return lot_ids, list(zip(deal_ids, deal_rows, strict=True))


def _manifests(b: Builder, park_id: int, people: dict, deals: list, n: int) -> None:
    serial: dict[int, int] = {}
    statuses = ["closed"] * 14 + ["received", "in_transit", "in_transit", "submitted", "cancelled"]
    rows = []
    for i in range(n):
        deal_id, deal = deals[i % len(deals)]
        submitted = max(deal["created_at"], b.ago(730))
        year = submitted.year
        serial[year] = serial.get(year, 0) + 1
        status = b.rng.choice(statuses)
        got = status in ("closed", "received")
        received = submitted + timedelta(hours=b.rng.randint(4, 96)) if got else None
        kg = b.rng.randint(2, 20) * 1000
        rows.append(dict(number=f"{year}{REGION}{serial[year]:06d}", year=year, region_code=REGION,
                         serial=serial[year], verify_token=f"t{i:042d}", deal_id=deal_id,
                         park_id=park_id, generator_id=deal["generator_id"],
                         transporter_id=people["transporter"][i % 10],
                         receiver_id=deal["recycler_id"],
                         waste_code_id=1, waste_name="边角料", declared_kg=kg, packaging="",
                         package_count=0, status=status, version=1, submitted_at=submitted,
                         submitted_by_id=people["user"][deal["generator_id"]],
                         received_kg=kg if got else None, rejected_kg=0, received_at=received,
                         treatment=(b.rng.choice(["utilise"] * 4 + ["dispose"]) if got else None),
                         rejection_reason="", discrepant=False, discrepancy_note="",
                         overdue=False, closed_at=received if status == "closed" else None,
                         created_at=submitted, updated_at=submitted))  # fmt: skip
        if len(rows) >= CHUNK:
            _flush_manifests(b, rows)
    _flush_manifests(b, rows)


def _flush_manifests(b: Builder, rows: list) -> None:
    lots = b.t["supply_listings"]
    codes = dict(b.conn.execute(
        select(b.t["deals"].c.id, lots.c.waste_code_id).join(
            lots, lots.c.id == b.t["deals"].c.supply_listing_id).where(
            b.t["deals"].c.id.in_({r["deal_id"] for r in rows}))).all())  # fmt: skip
    for row in rows:
        row["waste_code_id"] = codes[row["deal_id"]]
    b.put("manifests", rows)
    rows.clear()


def _filings(b: Builder, people: dict, codes: dict, today) -> None:
    rows = []
    for e in people["generator"]:
        for months_back in range(1, 13):
            end = (today.replace(day=1) - timedelta(days=1 + 31 * (months_back - 1))).replace(
                day=28
            )
            for c in CODES[e % 3 :: 3]:
                rows.append(dict(enterprise_id=e, waste_code_id=codes[c], period_kind="monthly",
                                 period_key=end.strftime("%Y-%m"), period_start=end.replace(day=1),
                                 period_end=end, generated_kg=b.rng.randint(1, 100) * 1000,
                                 note="", filed_at=b.now, filed_on=today,
                                 filed_by_id=people["user"][e], version=1))  # fmt: skip
    b.put("filings", rows)


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def measure(app, info: dict, repeat: int) -> dict:
    from bench import dashboard_before as before
    from market import clock
    from market.accounts.models import Park
    from market.admin import capacity, dashboard
    from market.admin.periods import Period, standard
    from market.extensions import db
    from market.facilitator import queries as desk

    out, differ = {}, []
    with app.test_request_context():
        park = db.session.get(Park, info["park_id"])
        today, pid = clock.today(), park.id
        periods = {"year": standard("year", today),
                   "90 days": Period("custom", today - timedelta(89), today),
                   "45-15 days ago": Period("custom", today - timedelta(45),
                                            today - timedelta(15))}  # fmt: skip
        reads = {
            "figures": lambda p: dashboard.figures(pid, p),
            "trends": lambda p: dashboard.trends(pid, p),
            "sankey": lambda p: dashboard.sankey(dashboard.flow_rows(pid, p)),
            "capacity": lambda p: capacity.gaps(park, p),
        }
        for name, period in periods.items():
            out[name] = {}
            for read, fn in reads.items():
                after = fn(period)
                saved = before.patch(dashboard, capacity)
                try:
                    was = fn(period)
                    then = timed(lambda p=period, f=fn: f(p), repeat)
                finally:
                    before.restore(dashboard, capacity, saved)
                now = timed(lambda p=period, f=fn: f(p), repeat)
                out[name][read] = {"before": round(then, 4), "after": round(now, 4)}
                if _comparable(read, was) != _comparable(read, after):
                    differ.append(f"{name}: {read}")
        out["desk unbid lots"] = round(timed(lambda: desk.unbid_lots(park.id, 7), repeat), 4)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(info["admin_id"]), True
    for query in ("period=year", "period=month"):

        def get(q=query):
            response = client.get(f"/admin/?{q}")
            assert response.status_code == 200, response.status_code

        get()
        saved = before.patch(dashboard, capacity)
        try:
            then = timed(get, repeat)
        finally:
            before.restore(dashboard, capacity, saved)
        now = timed(get, repeat)
        out[f"page /admin/?{query}"] = {"before": round(then, 4), "after": round(now, 4)}
    out["differ"] = differ
    return out


def _comparable(read: str, value):
    """Sankey links and capacity rows as they are; flows were ordered by weight only, so
    ties may come in another order: compare the Sankey's nodes and links, which are sorted."""
    if read == "capacity":
        return [(g.code, g.name, g.hazardous, g.generated_kg, g.offered_kg, g.capacity_kg,
                 g.recyclers, dict(g.went)) for g in value]  # fmt: skip
    return value


EXPLAINED = ("figures", "trends")


def explain(app, info: dict) -> None:
    """PostgreSQL's plans for the manifest and deal aggregates of one dashboard read."""
    from sqlalchemy import event

    from market import clock
    from market.admin import dashboard
    from market.admin.periods import standard
    from market.extensions import db

    statements = []
    with app.test_request_context():

        def grab(conn, cursor, statement, parameters, context, executemany):
            if "manifests" in statement or "deals" in statement:
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", grab)
        dashboard.figures(info["park_id"], standard("year", clock.today()))
        event.remove(db.engine, "before_cursor_execute", grab)
        cursor = db.session.connection().connection.cursor()
        for statement, parameters in statements:
            cursor.execute("EXPLAIN " + statement, parameters)
            print("\n".join(row[0] for row in cursor.fetchall()[:14]), "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--manifests", type=int, default=1_000_000)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="5,000 manifests, 1,000 listings")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--no-build", action="store_true", help="measure the park built before")
    args = parser.parse_args(argv)
    if args.quick:
        args.manifests, args.listings, args.repeat = 5_000, 1_000, 3
    from bench.manifest_world import reset

    app = make_app(args.url)
    started = time.perf_counter()
    if args.no_build:
        info, built = existing(app), 0.0
        print(f"measuring the park built before ({info['summary_rows']:,} summary rows)")
    else:
        reset(app)
        info = build(app, args.manifests, args.listings)
        built = time.perf_counter() - started
        print(f"built {args.manifests:,} manifests, {args.listings:,} listings "
              f"({info['deals']:,} deals) in {built:.1f} s")  # fmt: skip
    if args.explain:
        explain(app, info)
    result = measure(app, info, args.repeat)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'read':<34}{'before s':>10}{'after s':>10}")
    for name, value in result.items():
        if isinstance(value, dict) and "before" not in value:
            for read, t in value.items():
                print(f"{name + ': ' + read:<34}{t['before']:>10.3f}{t['after']:>10.3f}")
        elif isinstance(value, dict):
            print(f"{name:<34}{value['before']:>10.3f}{value['after']:>10.3f}")
    pages = {k: v["after"] for k, v in result.items() if k.startswith("page")}
    verdict = all(v < TARGET_SECONDS for v in pages.values())
    print(f"page under {TARGET_SECONDS} s: {'yes' if verdict else 'NO'}")
    print("same figures before and after: " + ("yes" if not result["differ"] else
          "NO: " + ", ".join(result["differ"])))  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "built_s": built, **info,
                                               "load": os.getloadavg(), **result}))  # fmt: skip
    return 1 if result["differ"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
