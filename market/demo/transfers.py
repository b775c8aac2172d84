"""The demo's transfer manifests, settlements and filings, made through the services on
the days they would have happened (`market.demo.timeline`).

Per park, on three deals the trading left authorised:

- the named recycler's deal: one manifest submitted (the named transporter's pickup
  waits), one in transit (the named recycler's receipt waits) and one picked up two
  weeks ago and never received (overdue, on the administrator's list);
- the named generator's deal: a receipt with a part rejected (corrected by the receiver
  the next day), a load rejected whole and a manifest cancelled before pickup; below
  the deal quantity, so the generator's "mark complete" waits;
- a deal delivered in full over several trips, the last weighed beyond the tolerance
  (discrepant, with a note): it settles on the received total when it closes, the
  excess charged as a top-up, and the transporter corrects a plate afterwards.

And a year of monthly generation filings for each generator of those deals (the
administrator sets the monthly tier from a year back), so their ledgers have history.
"""

import random
from dataclasses import dataclass, field
from datetime import date

from market import clock
from market.accounts.models import Park, User
from market.deals.models import Deal
from market.deals.states import DealStatus, PaymentStatus
from market.demo.timeline import beijing, clock_at
from market.extensions import db
from market.manifests import filings
from market.manifests import services as svc
from market.manifests.models import Manifest

PROVINCE = {"etown": "京", "jinan": "鲁"}
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on plates
DRIVERS = ("李师傅", "王师傅", "张师傅", "刘师傅", "陈师傅", "赵师傅")
TRIP_KG = 20_000  # what one demo vehicle carries
OVERDUE_DAYS_AGO = 15  # 5 working days after this pickup are past, holidays or not
YEAR = 12  # monthly filings for the twelve months before the build's month


def named(park: Park, local: str) -> User:
    return db.session.execute(
        db.select(User).filter_by(email=f"{local}@{park.slug}.demo")
    ).scalar_one()


def actor(enterprise_id: int) -> User:
    """The enterprise's named demo user if it has one (made last), else its first user."""
    return db.session.execute(
        db.select(User).filter_by(enterprise_id=enterprise_id).order_by(User.id.desc()).limit(1)
    ).scalar_one()


def authorised_deals(park: Park) -> list[Deal]:
    deals = db.session.execute(
        db.select(Deal)
        .where(Deal.status == DealStatus.MADE, Deal.generator.has(park_id=park.id))
        .order_by(Deal.id)
    ).scalars()
    return [d for d in deals if d.payment and d.payment.status == PaymentStatus.AUTHORISED]


@dataclass
class ParkTransfers:
    rng: random.Random
    park: Park
    to_settle: list[int]  # deal ids the trading left for delivery in full
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self.transporter = named(self.park, "transporter")
        self.admin = named(self.park, "admin")
        self.generator = named(self.park, "generator")
        self.recycler = named(self.park, "recycler")

    # --- which deals -----------------------------------------------------------------

    def choose_deals(self, trader) -> None:
        deals = authorised_deals(self.park)
        settle = [d for d in deals if d.id in self.to_settle]
        self.settled = settle[0] if settle else None
        self.receiving = next((d for d in deals if d.recycler_id == self.recycler.enterprise_id
                               and d is not self.settled), None)  # fmt: skip
        self.generating = next((d for d in deals if d.generator_id == self.generator.enterprise_id
                                and d not in (self.settled, self.receiving)), None)  # fmt: skip
        if self.generating is None:  # the named generator accepts a bid on its open lot
            self.generating = trader.accept_named_generators_bid(self.park)

    def deals(self) -> list[Deal]:
        return [d for d in (self.receiving, self.generating, self.settled) if d is not None]

    # --- a year of filings -----------------------------------------------------------

    def file_year(self) -> None:
        """Monthly filings for the last twelve ended months, per code the generator deals
        in, generous enough that its stock never runs out."""
        today = clock.today()
        first = date(today.year - 1, today.month, 1)
        for enterprise_id in dict.fromkeys(d.generator_id for d in self.deals()):
            filings.set_filing_tier(self.admin, enterprise_id, "monthly", first)
            codes = filings.codes_by_enterprise([enterprise_id])[enterprise_id]
            base = max(d.quantity_kg for d in self.deals() if d.generator_id == enterprise_id)
            user = actor(enterprise_id)
            for n in range(YEAR):
                month = first.month - 1 + n
                key = f"{first.year + month // 12}-{month % 12 + 1:02d}"
                for code in codes.values():
                    data = filings.FilingInput(
                        waste_code=code.code,
                        period_key=key,
                        generated_kg=base * self.rng.randint(25, 45) // 100,
                    )
                    filings.file_generation(user, data)
                    self.count("filings")
            db.session.commit()

    # --- the manifests, day by day ---------------------------------------------------

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def plate(self) -> str:
        tail = "".join(self.rng.choice("0123456789" + LETTERS[:8]) for _ in range(5))
        return f"{PROVINCE.get(self.park.slug, '京')}{self.rng.choice(LETTERS)}{tail}"

    def start(self, deal: Deal, kg: int, when) -> Manifest:
        with clock_at(when):
            data = svc.StartInput(
                declared_kg=kg,
                transporter_id=self.transporter.enterprise_id,
                packaging=self.rng.choice(["吨袋", "200L铁桶", "托盘打包", "IBC吨桶"]),
                package_count=max(1, kg // 1000),
            )
            manifest = svc.start_manifest(actor(deal.generator_id), deal.id, data)
            db.session.commit()
        return manifest

    def pick_up(self, manifest: Manifest, when) -> Manifest:
        with clock_at(when):
            data = svc.PickupInput(
                plate=self.plate(),
                driver_name=self.rng.choice(DRIVERS),
                driver_phone=f"139{self.rng.randint(10**7, 10**8 - 1)}",
                picked_up_at=clock.now(),
            )
            svc.sign_pickup(self.transporter, manifest.id, data)
            db.session.commit()
        return manifest

    def receive(self, manifest: Manifest, kg: int, when, **extra) -> Manifest:
        with clock_at(when):
            data = svc.ReceiptInput(received_kg=kg, received_at=clock.now(), treatment="utilise",
                                    treatment_method="再生利用", **extra)  # fmt: skip
            svc.sign_receipt(actor(manifest.receiver_id), manifest.id, data)
            db.session.commit()
            svc.after_commit(manifest.deal_id)  # a top-up, if the settlement recorded one
        return manifest

    def trip(self, deal: Deal, kg: int, days_ago: int, hour: int) -> Manifest:
        manifest = self.start(deal, kg, beijing(days_ago, hour))
        return self.pick_up(manifest, beijing(days_ago, hour, 40))

    def run(self) -> None:
        if self.receiving is not None:
            self.overdue(self.receiving)
        if self.generating is not None:
            self.rejections(self.generating)
        if self.settled is not None:
            self.deliver(self.settled)
        if self.receiving is not None:
            self.waiting(self.receiving)

    def overdue(self, deal: Deal) -> None:
        self.trip(deal, min(deal.quantity_kg // 4, TRIP_KG) or 1, OVERDUE_DAYS_AGO, 9)
        self.count("overdue")

    def rejections(self, deal: Deal) -> None:
        """A part rejected (and corrected the next day), a load refused, one cancelled."""
        kg = min(deal.quantity_kg // 3, TRIP_KG) or 1
        part = self.trip(deal, kg, 6, 8)
        accepted = kg * 9 // 10 or 1
        reason = "含水率超标，部分退回"
        self.receive(part, accepted, beijing(6, 15), rejected_kg=kg - accepted or 1,
                     rejection_reason=reason, rejection_goes_to="generator")  # fmt: skip
        with clock_at(beijing(5, 10)):
            fix = svc.CorrectionInput(reason="复磅后更正接收重量", received_kg=accepted + kg // 50)
            svc.correct_manifest(actor(part.receiver_id), part.id, fix)
            db.session.commit()
        refused = self.trip(deal, min(deal.quantity_kg // 4, TRIP_KG) or 1, 6, 11)
        with clock_at(beijing(6, 17)):
            data = svc.RejectInput(reason="包装破损、标签缺失，整车拒收", goes_to="generator")
            svc.reject_manifest(actor(refused.receiver_id), refused.id, data)
            db.session.commit()
        cancelled = self.start(deal, min(deal.quantity_kg // 5, TRIP_KG) or 1, beijing(5, 9))
        with clock_at(beijing(5, 11)):
            svc.cancel_manifest(actor(deal.generator_id), cancelled.id, "车辆改派，本趟取消")
            db.session.commit()
        self.counts.update({"partly rejected": 1, "rejected": 1, "cancelled": 1})
        self.count("corrected")

    def deliver(self, deal: Deal) -> None:
        """The whole deal over several trips; the last one weighs 7 % over its declaration
        (beyond the ±5 % tolerance: a note), so it settles with a top-up."""
        trips = -(-deal.quantity_kg // TRIP_KG)
        parts = [deal.quantity_kg // trips] * trips
        parts[-1] += deal.quantity_kg - sum(parts)
        first = None
        for i, kg in enumerate(parts):
            manifest = self.trip(deal, kg, 3, 8 + i % 8)
            first = first or manifest
            last = i == len(parts) - 1
            weighed = kg * 107 // 100 if last else kg
            note = {"discrepancy_note": "地磅复核：含包装物及雨水增重"} if last else {}
            self.receive(manifest, weighed, beijing(3, 9 + i % 8, 30), **note)
            self.count("closed")
        self.count("discrepant")
        with clock_at(beijing(2, 10)):
            fix = svc.CorrectionInput(reason="车牌号录入有误", plate=self.plate())
            svc.correct_manifest(self.transporter, first.id, fix)
            db.session.commit()
        self.count("corrected")

    def waiting(self, deal: Deal) -> None:
        """In transit to the named recycler since yesterday; submitted an hour ago."""
        self.trip(deal, min(deal.quantity_kg // 4, TRIP_KG) or 1, 1, 9)
        self.count("in transit")
        submitted = min(deal.quantity_kg // 5, TRIP_KG) or 1
        svc.start_manifest(actor(deal.generator_id), deal.id, svc.StartInput(
            declared_kg=submitted, transporter_id=self.transporter.enterprise_id,
            packaging="吨袋", package_count=max(1, submitted // 1000)))  # fmt: skip
        db.session.commit()
        self.count("submitted")


def flag_overdue() -> int:
    """The daily check, run now: the manifest picked up two weeks ago is flagged."""
    flagged = svc.mark_overdue()
    db.session.commit()
    return flagged
