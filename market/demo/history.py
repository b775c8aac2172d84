"""The demo's past trade: the months before the parks' demo story, so the park
dashboard's monthly trends (tonnes received, deals, manifests, closure) have a history.

Per park, a few generators that take no part in the demo story each sell their waste to a
regular recycler: in each of the MONTHS months before the month the parks "open"
(`market.demo.builder.OPENED_DAYS_AGO`), most of them post a lot, the recycler bids, the
lot is awarded (paid through the demo's gateway), and the lot is carried over one or more
manifests picked up and received the same day at the declared weight, which settles the
deal. All through the services with the demo clock set to that day, so the flow summary,
the deal and manifest events and the ledgers are what they would have been.

Those generators file monthly for the year back, as the story's generators do (a constant
amount above what they ship in any month since the history began, nothing before), so
their ledgers add up and no rule finds anything in the history: no late receipt, no weight
discrepancy, nothing under-declared or held beyond a year, no spike, no missing filing.
It runs after the demo story with its own random stream, so the story (its accounts,
warnings, grades and waiting items) is the same with or without it.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from market import clock
from market.accounts.models import Enterprise, Park
from market.deals import services as deals
from market.deals.models import Deal
from market.deals.states import PaymentStatus
from market.demo.timeline import beijing, clock_at
from market.demo.transfers import DRIVERS, LETTERS, PROVINCE, TRIP_KG, actor, named
from market.errors import DomainError
from market.extensions import db
from market.geo import haversine_km
from market.listings import bidding
from market.listings import services as listings
from market.listings.models import DemandListing
from market.listings.states import ListingStatus
from market.manifests import filings
from market.manifests import services as svc
from market.manifests.models import Filing, Manifest

MONTHS = 6  # months of history before the parks' opening month
TRADERS = 5  # generators per park with a history
YEAR = 12  # their monthly filings, as the demo story's generators file theirs


def months_before(first: date, n: int) -> date:
    """The first day of the month `n` months before the month of `first`."""
    index = first.year * 12 + first.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


class ParkHistory:
    def __init__(self, rng: random.Random, park: Park, profiles: dict, opened_days_ago: int):
        self.rng, self.park, self.profiles = rng, park, profiles
        self.opened = beijing(opened_days_ago, 9).date()
        self.opened_days_ago = opened_days_ago
        self.admin = named(park, "admin")
        self.transporter = named(park, "transporter")
        self.counts: dict[str, int] = {}

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    # --- who trades ----------------------------------------------------------------------

    def _busy(self) -> set[int]:
        """Enterprises of the demo story: named accounts, filers, any deal or manifest."""
        ids = {named(self.park, local).enterprise_id
               for local in ("generator", "other", "recycler", "transporter")}  # fmt: skip
        ids |= set(db.session.scalars(db.select(Filing.enterprise_id)))
        ids |= set(db.session.scalars(db.select(Deal.generator_id)))
        ids |= set(db.session.scalars(db.select(Deal.recycler_id)))
        ids |= set(db.session.scalars(db.select(Manifest.generator_id)))
        return ids

    def _demands(self, busy: set[int]) -> list[DemandListing]:
        """Open demand listings of recyclers that may take waste on any day of the history:
        a licence valid from before it to after today, no grade D (the gateway gives
        each payer a test card on its first payment, as in the demo story)."""
        rows = db.session.scalars(
            db.select(DemandListing)
            .join(DemandListing.enterprise)
            .where(DemandListing.status == ListingStatus.OPEN,
                   Enterprise.park_id == self.park.id)
            .order_by(DemandListing.id)
        ).all()  # fmt: skip
        start = months_before(self.opened, MONTHS)
        out = []
        for demand in rows:
            enterprise, licence = demand.enterprise, demand.licence
            if enterprise.id in busy or enterprise.credit_grade == "D":
                continue
            if licence is None:
                continue
            if licence.valid_from > start or licence.valid_until <= clock.today():
                continue
            out.append(demand)
        return out

    def pairs(self) -> list[tuple[Enterprise, list, DemandListing]]:
        """Up to TRADERS generators, each with a code of its trade and a recycler near
        enough that takes it."""
        busy = self._busy()
        demands = self._demands(busy)
        generators = db.session.scalars(
            db.select(Enterprise)
            .where(Enterprise.park_id == self.park.id, Enterprise.is_generator.is_(True))
            .order_by(Enterprise.id)
        ).all()  # fmt: skip
        candidates = [g for g in generators if g.id not in busy and g.industry in self.profiles]
        self.rng.shuffle(candidates)
        out, partners = [], set()
        for generator in candidates:
            for pick in self.rng.sample(self.profiles[generator.industry],
                                        len(self.profiles[generator.industry])):  # fmt: skip
                code = pick[0]
                near = [
                    d for d in demands
                    if d.enterprise_id not in partners
                    and code in {c.code for c in d.codes}
                    and haversine_km(generator.lat, generator.lon, d.enterprise.lat,
                                     d.enterprise.lon) * 1.4 < d.service_radius_km * 0.9
                ]  # fmt: skip
                if near:
                    demand = near[0]
                    partners.add(demand.enterprise_id)
                    out.append((generator, pick, demand))
                    break
            if len(out) == TRADERS:
                break
        return out

    # --- the months ----------------------------------------------------------------------

    def run(self) -> None:
        self.traders = self.pairs()
        self.monthly: dict[int, int] = {}  # generator id -> kg it files each month
        plan = []
        for generator, pick, demand in self.traders:
            lo, hi = pick[2], pick[3]
            tonnes = max(2, min(30, self.rng.randint(lo, hi)))
            self.monthly[generator.id] = tonnes * 1000 * 13 // 10
            for n in range(MONTHS, 0, -1):
                if self.rng.random() < 0.8:
                    first = months_before(self.opened, n)
                    day = first + timedelta(days=self.rng.randint(2, 24))
                    kg = tonnes * self.rng.randint(80, 120) * 10 // 100 * 100
                    plan.append((day, self.rng.randint(0, 59), generator, pick, demand, kg))
        for day, minute, generator, pick, demand, kg in sorted(plan, key=lambda p: (p[0], p[1])):
            self.trade(day, minute, generator, pick, demand, kg)
        self.file_year()

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=clock.BEIJING)

    def trade(self, day, minute, generator, pick, demand, kg) -> None:
        code, local_name, _lo, _hi, price = pick
        owner = actor(generator.id)
        bidder = demand.created_by
        asking = max(price, 100) * self.rng.randint(85, 110) // 100
        with clock_at(self.at(day, 9, minute)):
            lot = listings.create_supply(owner, listings.SupplyInput(
                waste_code=code, title=f"{local_name} {Decimal(kg) / 1000}吨",
                local_name=local_name, quantity=Decimal(kg) / 1000,
                available_from=day, available_until=day + timedelta(days=30),
                packaging=self.rng.choice(["吨袋", "托盘打包", "200L铁桶"]),
                asking_price_yuan=Decimal(asking), bidding_mode="open",
                description=f"{generator.name}月度{local_name}，长期合作单位收运。",
            ))  # fmt: skip
            listings.publish(owner, lot)
            db.session.commit()
        with clock_at(self.at(day, 10, minute)):
            try:
                bid = bidding.place_bid(bidder, lot.id, bidding.BidInput(
                    price_yuan=Decimal(asking + self.rng.randint(1, 20) * 10),
                    quantity_t=Decimal(kg) / 1000, note="按月收运"))  # fmt: skip
            except DomainError:
                db.session.rollback()
                listings.withdraw(owner, lot)  # not taken after all: the lot is withdrawn
                db.session.commit()
                self.count("withdrawn")
                return
            db.session.commit()
        with clock_at(self.at(day, 11, minute)):
            deal = deals.accept_bid(owner, bid.id)
            db.session.commit()
            deals.after_commit_payment(deal)
        self.count("deals")
        if not deal.payment or deal.payment.status != PaymentStatus.AUTHORISED:
            return  # the gateway said no: the deal waits, as such deals do
        self.deliver(day, deal)

    def deliver(self, day: date, deal: Deal) -> None:
        """The whole deal in trips picked up after lunch and weighed in at the declared
        weight the same afternoon; the last receipt settles it."""
        trips = -(-deal.quantity_kg // TRIP_KG)
        parts = [deal.quantity_kg // trips] * trips
        parts[-1] += deal.quantity_kg - sum(parts)
        for i, kg in enumerate(parts):
            with clock_at(self.at(day, 13 + i, 0)):
                manifest = svc.start_manifest(actor(deal.generator_id), deal.id, svc.StartInput(
                    declared_kg=kg, transporter_id=self.transporter.enterprise_id,
                    packaging="吨袋", package_count=max(1, kg // 1000)))  # fmt: skip
                db.session.commit()
            with clock_at(self.at(day, 13 + i, 30)):
                svc.sign_pickup(self.transporter, manifest.id, svc.PickupInput(
                    plate=self.plate(), driver_name=self.rng.choice(DRIVERS),
                    driver_phone=f"139{self.rng.randint(10**7, 10**8 - 1)}",
                    picked_up_at=clock.now()))  # fmt: skip
                db.session.commit()
            with clock_at(self.at(day, 16 + i, 0)):
                svc.sign_receipt(actor(manifest.receiver_id), manifest.id, svc.ReceiptInput(
                    received_kg=kg, received_at=clock.now(), treatment="utilise",
                    treatment_method="再生利用"))  # fmt: skip
                db.session.commit()
                svc.after_commit(deal.id)
            self.count("manifests")

    def plate(self) -> str:
        tail = "".join(self.rng.choice("0123456789" + LETTERS[:8]) for _ in range(5))
        return f"{PROVINCE.get(self.park.slug, '京')}{self.rng.choice(LETTERS)}{tail}"

    # --- their filings ---------------------------------------------------------------------

    def file_year(self) -> None:
        """Monthly filings for the twelve months before the opening month, as the demo
        story's generators file theirs (filed the day the parks open)."""
        with clock_at(beijing(self.opened_days_ago, 9, 30)):
            today = clock.today()
            first = date(today.year - 1, today.month, 1)
            start = months_before(self.opened, MONTHS)
            for generator_id, monthly in self.monthly.items():
                filings.set_filing_tier(self.admin, generator_id, "monthly", first)
                codes = filings.codes_by_enterprise([generator_id])[generator_id]
                traded = {pick[0] for g, pick, _d in self.traders if g.id == generator_id}
                user = actor(generator_id)
                for n in range(YEAR):
                    month = months_before(first, -n)
                    for code in codes.values():
                        # Generated since the history began, none before (stock left from a
                        # year back would be held too long), none of the codes it does not
                        # trade: nothing spikes, runs short or is held beyond a year.
                        made = code.code in traded and month >= start
                        kg = monthly if made else 0
                        key = month.strftime("%Y-%m")
                        filings.file_generation(user, filings.FilingInput(
                            waste_code=code.code, period_key=key, generated_kg=kg))  # fmt: skip
                        self.count("filings")
                db.session.commit()


def seed_history(seed: int, parks: list[Park], profiles: dict, opened_days_ago: int) -> dict:
    rng = random.Random(seed * 7919 + 6)  # its own stream: the demo story's is untouched
    counts: dict[str, int] = {}
    for park in parks:
        history = ParkHistory(rng, park, profiles, opened_days_ago)
        history.run()
        for what, n in history.counts.items():
            counts[what] = counts.get(what, 0) + n
    return counts
