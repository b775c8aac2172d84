"""The deterministic demo: parks, enterprises, users, licences and listings, made through
the services as a user would."""

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from market import clock
from market.accounts import services as accounts
from market.accounts import uscc
from market.accounts.auth import hash_password
from market.accounts.licences import approve_licence
from market.accounts.models import Enterprise, Park, User
from market.catalog.loading import load_national_catalogue, load_park_catalogue
from market.config import ROOT
from market.deals.models import Payment
from market.demo import evidence, timeline
from market.demo.conversations import seed_conversations
from market.demo.early_warnings import ParkWarnings
from market.demo.facilitation import seed_facilitation
from market.demo.grading import ParkGrading
from market.demo.history import seed_history
from market.demo.licences import seed_reviews
from market.demo.timeline import beijing, clock_at
from market.demo.trading import seed_trading
from market.demo.transfers import ParkTransfers, flag_overdue
from market.extensions import db
from market.listings import services as listings
from market.listings.models import SupplyListing
from market.outreach.services import send_digests

SEEDS = ROOT / "seeds"
DEMO_PASSWORD = "demo-pass-2026"
# The demo parks open this many days ago; their manifests follow over the days since.
OPENED_DAYS_AGO = 16


@dataclass
class DemoAccount:
    role: str
    email: str
    enterprise: str


def _offset(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    angle, dist = rng.uniform(0, 2 * math.pi), abs(rng.gauss(0, km / 2))
    dlat = dist * math.cos(angle) / 111.2
    dlon = dist * math.sin(angle) / (111.2 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _ring(rng: random.Random, lat: float, lon: float, lo: float, hi: float):
    angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(lo, hi)
    return (
        round(lat + dist * math.cos(angle) / 111.2, 5),
        round(lon + dist * math.sin(angle) / (111.2 * math.cos(math.radians(lat))), 5),
    )


class DemoBuilder:
    def __init__(self, data: dict, seed: int = 2026, today: date | None = None):
        self.data, self.rng = data, random.Random(seed)
        self.today = today or clock.today()
        self.names: set[str] = set()
        self.password_hash = hash_password(DEMO_PASSWORD)
        self.accounts: list[DemoAccount] = []
        self.aimed: dict[int, str | None] = {}  # enterprise id -> the grade to aim at

    def _name(self, park: dict, words: list[str]) -> str:
        while True:
            head = self.rng.choice(self.data["name_heads"]) + self.rng.choice(
                self.data["name_tails"]
            )
            name = f"{park['city']}{head}{self.rng.choice(words)}有限公司"
            if name not in self.names:
                self.names.add(name)
                return name

    def _uscc(self, region: str) -> str:
        body = "".join(self.rng.choice(uscc.ALPHABET) for _ in range(9))
        return uscc.make("91", region, body)

    def _enterprise(
        self,
        park: Park,
        spec: dict,
        roles: list[str],
        words,
        industry: str,
        site: tuple[float, float],
    ) -> Enterprise:
        street = self.rng.choice(spec["streets"])
        enterprise = accounts.register_enterprise(
            accounts.EnterpriseInput(
                park_id=park.id,
                name=self._name(spec, words),
                uscc=self._uscc(spec["region_code"]),
                roles=roles,
                address=f"{spec['city']}{spec['district']}{street}{self.rng.randint(1, 99)}号",
                lat=site[0],
                lon=site[1],
                contact_name=self.rng.choice("王李张刘陈杨赵黄周吴") + "工",
                contact_phone=f"1{self.rng.randint(30, 89)}{self.rng.randint(10**7, 10**8 - 1)}",
                industry=industry,
            )
        )
        # The grade its evaluation will aim at (market.demo.grading makes it through the
        # workflow once the demo's filings and manifests exist): mostly A/B, a few D.
        self.aimed[enterprise.id] = self.rng.choices(["A", "B", "C", "D", None],
                                                     [25, 35, 15, 5, 20])[0]  # fmt: skip
        db.session.add(
            User(
                email=f"e{enterprise.id}@{spec['slug']}.demo",
                name=enterprise.contact_name,
                password_hash=self.password_hash,
                enterprise=enterprise,
                is_enterprise_admin=True,
            )
        )
        return enterprise

    def build(self) -> None:
        load_national_catalogue()
        for spec in self.data["parks"]:
            self._park(spec)
        db.session.flush()

    def _park(self, spec: dict) -> None:
        park = accounts.create_park(
            slug=spec["slug"],
            name=spec["name"],
            region_code=spec["region_code"],
            lat=spec["lat"],
            lon=spec["lon"],
            is_demo=True,
        )
        load_park_catalogue(park)
        admin = accounts.create_user(
            accounts.UserInput(
                email=f"admin@{spec['slug']}.demo", name="园区管理员", password=DEMO_PASSWORD
            ),
            admin_park=park,
        )
        self.accounts.append(DemoAccount("park admin", admin.email, park.name))
        evidence.seed_sites(admin, spec)
        # Four eyes: a second administrator approves grades; a third, who grades nothing
        # in the demo, decides appeals.
        for local, role in (("admin2", "park admin (2nd)"), ("admin3", "park admin (3rd)")):
            other = accounts.create_user(
                accounts.UserInput(
                    email=f"{local}@{spec['slug']}.demo", name="园区管理员", password=DEMO_PASSWORD
                ),
                admin_park=park,
            )
            self.accounts.append(DemoAccount(role, other.email, park.name))
        generators = [self._generator(park, spec) for _ in range(spec["generators"])]
        recyclers = [self._recycler(park, spec, i) for i in range(spec["recyclers"])]
        transporters = [
            self._enterprise(
                park,
                spec,
                ["transporter"],
                self.data["transporter_words"],
                "运输",
                _offset(self.rng, spec["lat"], spec["lon"], spec["spread_km"] * 2),
            )
            for _ in range(spec["transporters"])
        ]
        db.session.flush()
        self._named_users(spec, generators, recyclers, transporters)
        named = {a.role: a.email for a in self.accounts[-4:]}
        recycler_user = db.session.execute(
            db.select(User).filter_by(email=named["recycler"])
        ).scalar_one()
        seed_reviews(admin, recycler_user, recyclers, transporters, self.today)
        for i, enterprise in enumerate(generators):
            if i < 2:  # the named demo accounts: one general and one hazardous lot each
                profile = self.data["waste_profiles"][enterprise.industry]
                lots = (
                    self._supply(enterprise, next(p for p in profile if p[0].startswith("ISW"))),
                    self._supply(
                        enterprise, next(p for p in profile if not p[0].startswith("ISW"))
                    ),
                )
                if i == 0:  # the generator's lots show photos and a lab report
                    for lot in lots:
                        evidence.attach_evidence(lot)
                continue
            for _ in range(self.rng.choice((0, 1, 1, 1, 2))):
                self._supply(enterprise)

    def _generator(self, park: Park, spec: dict) -> Enterprise:
        industry = self.rng.choice(spec["industries"])
        site = _offset(self.rng, spec["lat"], spec["lon"], spec["spread_km"])
        return self._enterprise(
            park, spec, ["generator"], self.data["industry_words"][industry], industry, site
        )

    def _recycler(self, park: Park, spec: dict, i: int) -> Enterprise:
        profile = self.data["recycler_profiles"][i % len(self.data["recycler_profiles"])]
        if i < spec["recyclers_far"]:
            site = _ring(self.rng, spec["lat"], spec["lon"], *spec["far_km"])
        else:
            site = _offset(self.rng, spec["lat"], spec["lon"], spec["spread_km"])
        enterprise = self._enterprise(
            park, spec, ["recycler"], self.data["recycler_words"], "再生资源", site
        )
        self._licence_and_demand(enterprise, profile, expired=(i % 13 == 12))
        return enterprise

    def _licence_and_demand(self, enterprise: Enterprise, profile: dict, expired: bool) -> None:
        capacity_t = self.rng.randint(*profile["capacity_t"])
        until = self.today - timedelta(days=30) if expired else self.today + timedelta(days=900)
        licence = accounts.add_licence(
            enterprise,
            accounts.LicenceInput(
                number=f"{'HW' if profile.get('hazardous') else 'GY'}-{enterprise.uscc[2:8]}-"
                f"{enterprise.id:05d}",
                codes=profile["codes"],
                capacity_kg_per_year=capacity_t * 1000,
                valid_from=self.today - timedelta(days=400),
                valid_until=until,
            ),
        )
        approve_licence(None, licence, "演示数据：证件已核验")
        user = enterprise.users[0]
        codes = (
            profile["codes"]
            if not expired
            else [c for c in profile["codes"] if c.startswith("ISW")] or ["ISW-17-08-01"]
        )
        demand = listings.create_demand(
            user,
            listings.DemandInput(
                waste_codes=codes,
                title=f"长期收购：{profile['title']}",
                licence_id=licence.id,
                remaining_capacity_t=Decimal(capacity_t * self.rng.randint(30, 90) // 100),
                service_radius_km=self.rng.randint(*profile["radius_km"]),
                price_offered_yuan=Decimal(profile["price"] * self.rng.randint(85, 115) // 100),
                available_from=self.today - timedelta(days=10),
                available_until=self.today + timedelta(days=self.rng.randint(60, 365)),
                quality_requirements="分类存放，不得混入生活垃圾；危险废物须规范包装并贴标签。",
                description=f"{enterprise.name}常年收购{profile['title']}相关废物，可上门收运。",
            ),
        )
        listings.publish(user, demand, today=self.today)

    def _supply(self, enterprise: Enterprise, pick: list | None = None) -> SupplyListing:
        profile = self.data["waste_profiles"][enterprise.industry]
        code, local_name, lo, hi, price = pick or self.rng.choice(profile)
        user = enterprise.users[0]
        recurring = self.rng.random() < 0.4
        start = self.today - timedelta(days=self.rng.randint(0, 20))
        quantity = Decimal(self.rng.randint(lo * 10, hi * 10)) / 10
        until = start + timedelta(days=self.rng.randint(20, 90))
        listing = listings.create_supply(
            user,
            listings.SupplyInput(
                waste_code=code,
                title=f"{local_name} {quantity}吨" + ("（每月）" if recurring else ""),
                local_name=local_name,
                quantity=quantity,
                available_from=start,
                available_until=until,
                recurrence="monthly" if recurring else "once",
                packaging=self.rng.choice(["吨袋", "200L铁桶", "托盘打包", "散装", "IBC吨桶"]),
                physical_form=evidence.physical_form(local_name),
                main_components=evidence.COMPONENTS.get(local_name, ""),
                asking_price_yuan=Decimal(price * self.rng.randint(80, 120) // 100),
                **self._bidding(start, until),
                description=f"{enterprise.name}产生的{local_name}，{enterprise.industry}生产线。",
            ),
        )
        fate = self.rng.random() if pick is None else 1.0  # named accounts: open lots
        if fate < 0.08:
            return listing  # stays a draft
        listings.publish(user, listing, today=self.today)
        if fate < 0.14:
            listings.withdraw(user, listing)
        return listing

    def _bidding(self, start: date, until: date) -> dict:
        """Open ascending or sealed; sealed lots (and some open ones) get a deadline."""
        mode = self.rng.choice(["open", "open", "sealed"])
        if mode == "open" and self.rng.random() < 0.5:
            return {"bidding_mode": mode}
        # Deadlines count from the real today, not the demo clock's (weeks back while the
        # lots are listed): bidding is still open when someone opens the demo.
        real_today = clock.business_day(timeline.real_now())
        day = max(self.today, real_today) + timedelta(days=self.rng.randint(2, 14))
        deadline = datetime.combine(day, time(9, 0), tzinfo=UTC)  # 17:00 Beijing time
        if deadline.date() > until:
            return {"bidding_mode": "open"}
        return {"bidding_mode": mode, "bid_deadline": deadline}

    def _named_users(self, spec, generators, recyclers, transporters) -> None:
        hazardous = next(r for r in recyclers if r.licences[0].number.startswith("HW"))
        for role, enterprise in (
            ("generator", generators[0]),
            ("other enterprise", generators[1]),
            ("recycler", hazardous),
            ("transporter", transporters[0]),
        ):
            local = {"other enterprise": "other"}.get(role, role)
            user = accounts.create_user(
                accounts.UserInput(
                    email=f"{local}@{spec['slug']}.demo",
                    name=f"{enterprise.contact_name}",
                    password=DEMO_PASSWORD,
                ),
                enterprise=enterprise,
            )
            user.is_enterprise_admin = True  # the demo's users may try the team page
            self.accounts.append(DemoAccount(role, user.email, enterprise.name))


def seed_demo(seed: int = 2026, today: date | None = None) -> DemoBuilder:
    """Enterprises, listings, bids and deals as of OPENED_DAYS_AGO, a year of filings
    back-filed that day, then the manifests on the days since (`market.demo.transfers`),
    then the credit grades through the grading workflow (`market.demo.grading`), then the
    warnings: the rules' own findings and the loop in every state (`market.demo.early_warnings`),
    and last the months of trade before the story (`market.demo.history`)."""
    data = json.loads((SEEDS / "demo" / "parks.json").read_text(encoding="utf-8"))
    with clock_at(beijing(OPENED_DAYS_AGO, 9)):
        builder = DemoBuilder(data, seed=seed, today=today)
        builder.build()
        db.session.commit()
        trader = seed_trading(builder.rng)
        parks = [ParkTransfers(builder.rng, park, trader.to_settle) for park in demo_parks()]
        for park in parks:
            park.choose_deals(trader)
            park.file_year()
    with clock_at(beijing(OPENED_DAYS_AGO - 1, 7)):
        send_digests()  # the next morning: the opted-in users' digests of the first day
        db.session.commit()
    for park in parks:
        park.run()
    flag_overdue()
    builder.grades = {}
    for park in demo_parks():
        grading = ParkGrading(builder.rng, park, builder.aimed)
        grading.run()
        for what, n in grading.counts.items():
            builder.grades[what] = builder.grades.get(what, 0) + n
    builder.facilitation = seed_facilitation(trader)
    builder.messages = sum(seed_conversations(park) for park in demo_parks())
    builder.warnings = {}
    for park in demo_parks():
        park_warnings = ParkWarnings(builder.rng, park)
        park_warnings.run()
        for what, n in park_warnings.counts.items():
            builder.warnings[what] = builder.warnings.get(what, 0) + n
    # The months before the story: trade whose trends the park dashboard shows.
    builder.history = seed_history(seed, demo_parks(), data["waste_profiles"], OPENED_DAYS_AGO)
    builder.deals = payment_states()
    builder.manifests = {}
    for park in parks:
        for what, n in park.counts.items():
            builder.manifests[what] = builder.manifests.get(what, 0) + n
    return builder


def demo_parks() -> list[Park]:
    return list(db.session.scalars(db.select(Park).filter_by(is_demo=True).order_by(Park.id)))


def payment_states() -> dict[str, int]:
    """The demo deals by the state of their payment."""
    rows = db.session.execute(
        db.select(Payment.status, db.func.count(Payment.id))
        .where(Payment.purpose == "deal")
        .group_by(Payment.status)
    )
    return {status: n for status, n in rows}


def has_demo() -> bool:
    return db.session.execute(db.select(Park.id).filter_by(is_demo=True)).first() is not None
