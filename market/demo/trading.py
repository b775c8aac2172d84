"""The demo's bids and deals, made through the services and the local payment server:
bids in both modes, and deals in every payment state."""

import random
from datetime import timedelta
from decimal import Decimal

from flask import current_app

from market import clock
from market.accounts.models import Park, User
from market.deals import services as deals
from market.deals.gateway import gateway_from_config
from market.errors import DomainError
from market.extensions import db
from market.listings import bidding
from market.listings import services as listings
from market.listings.models import DemandListing, SupplyListing
from market.listings.queries import bids_of
from market.listings.states import ListingStatus
from market.matching import service as matching
from market.outreach import services as outreach

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there: the gateway is "down"


def open_lots(park: Park, limit: int) -> list[SupplyListing]:
    return (
        db.session.execute(
            db.select(SupplyListing)
            .join(SupplyListing.enterprise)
            .where(
                SupplyListing.status == ListingStatus.OPEN,
                SupplyListing.enterprise.has(park_id=park.id),
            )
            .order_by(SupplyListing.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def bid_on(lot: SupplyListing, rng: random.Random, bidders: int = 3) -> int:
    """The best-matching recyclers bid, each a little above the last (ascending)."""
    placed = 0
    price = lot.asking_price_fen
    for match in matching.rank_demand_for(lot, k=bidders).matches:
        demand = db.session.get(DemandListing, match.id)
        quantity = min(lot.quantity_kg, demand.remaining_capacity_kg)
        price += abs(price) // 20 + rng.randint(1, 50) * 100
        try:
            bidding.place_bid(
                demand.created_by,
                lot.id,
                bidding.BidInput(
                    price_yuan=Decimal(price) / 100,
                    quantity_t=Decimal(quantity) / 1000,
                    note="可按约定时间上门收运",
                ),
            )
            placed += 1
        except DomainError:
            continue  # not eligible after all (capacity, licence): the demo moves on
    return placed


class Trader:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.deals: dict[str, int] = {}
        self.to_settle: list[int] = []  # delivered in full through manifests (transfers)

    def accept_best(self, lot: SupplyListing):
        bids = [b for b in bids_of(lot.id) if b.status == "active"]
        if not bids:
            return None
        best = max(bids, key=lambda b: (b.match_score, b.price_fen))  # not only the price
        deal = deals.accept_bid(lot.created_by, best.id)
        db.session.commit()
        deals.after_commit_payment(deal)
        return deal

    def with_gateway(self, base: str | None, test_cards: bool, lot):
        app = current_app._get_current_object()
        saved = app.extensions["payments"]
        config = {
            **app.config,
            "STRIPE_API_BASE": base or app.config["STRIPE_API_BASE"],
            "PAYMENTS_TEST_CARDS": test_cards,
        }
        app.extensions["payments"] = gateway_from_config(config)
        try:
            return self.accept_best(lot)
        finally:
            app.extensions["payments"] = saved

    def run(self, park: Park) -> None:
        lots = open_lots(park, 30)
        with_bids = [lot for lot in lots if bid_on(lot, self.rng)]
        db.session.commit()
        plan = ["authorised", "authorised", "captured", "cancelled", "pending", "failed"]
        # Sealed lots keep their bids until their deadline; open ones become the deals.
        # The named generator's first lot stays open with its bids, its second is a deal.
        open_mode = [lot for lot in with_bids if lot.bidding_mode == "open"]
        for state, lot in zip(plan, open_mode[1:], strict=False):
            self._deal(state, lot)
        self._named_recycler_wins(park)
        reach_out(park)

    def _deal(self, state: str, lot: SupplyListing) -> None:
        if state == "pending":
            deal = self.with_gateway(UNREACHABLE, True, lot)
        elif state == "failed":
            lot_payer_without_card(lot)
            deal = self.with_gateway(None, False, lot)
        else:
            deal = self.accept_best(lot)
        if deal is None:
            return
        if state == "captured" and deal.payment and deal.payment.status == "authorised":
            self.to_settle.append(deal.id)  # its manifests settle it (market.demo.transfers)
        elif state == "cancelled" and deal.payment and deal.payment.status == "authorised":
            deals.cancel_deal(
                deal.generator.users[0], deal.id, "运输车辆临时调度冲突，改期另行交易"
            )
        db.session.commit()
        self.deals[state] = self.deals.get(state, 0) + 1

    def _named_recycler_wins(self, park: Park) -> None:
        """So the named recycler account has a deal of its own to look at."""
        user = db.session.execute(
            db.select(User).filter_by(email=f"recycler@{park.slug}.demo")
        ).scalar_one()
        demand = (
            db.session.execute(
                db.select(DemandListing).filter_by(
                    enterprise_id=user.enterprise_id, status=ListingStatus.OPEN
                )
            )
            .scalars()
            .first()
        )
        matches = matching.rank_supply_for(demand, k=10).matches
        lots = [db.session.get(SupplyListing, m.id) for m in matches]
        if not any(lot.bidding_mode == "open" and lot.status == ListingStatus.OPEN for lot in lots):
            lots = [lot_for(park, demand)]  # nothing it takes is offered: the generator offers it
        for lot in lots:
            if lot.bidding_mode != "open" or lot.status != ListingStatus.OPEN:
                continue
            best = bidding.best_price(lot.id)
            price = (best if best is not None else lot.asking_price_fen) + 5_000
            quantity = min(lot.quantity_kg, demand.remaining_capacity_kg)
            bidding.place_bid(
                user,
                lot.id,
                bidding.BidInput(
                    price_yuan=Decimal(price) / 100, quantity_t=Decimal(quantity) / 1000
                ),
            )
            db.session.commit()
            if self.accept_best(lot) is not None:
                self.deals["authorised"] = self.deals.get("authorised", 0) + 1
            return

    def accept_named_generators_bid(self, park: Park):
        """The named generator accepts the best bid on its open lot, if it has one."""
        owner = db.session.execute(
            db.select(User).filter_by(email=f"generator@{park.slug}.demo")
        ).scalar_one()
        for lot in open_lots(park, 400):
            if lot.enterprise_id == owner.enterprise_id and lot.bidding_mode == "open":
                deal = self.accept_best(lot)
                if deal is not None and deal.payment and deal.payment.status == "authorised":
                    return deal
        return None


def reach_out(park: Park) -> None:
    """So the demo shows matching that reaches out: the named recycler wants the daily
    digest, and the named generator has invited the best matching recyclers to bid on its
    first open lot."""
    recycler = db.session.execute(
        db.select(User).filter_by(email=f"recycler@{park.slug}.demo")
    ).scalar_one()
    outreach.set_digest(recycler, True)
    owner = db.session.execute(
        db.select(User).filter_by(email=f"generator@{park.slug}.demo")
    ).scalar_one()
    lot = next((x for x in open_lots(park, 400) if x.enterprise_id == owner.enterprise_id), None)
    if lot is None:
        return
    invited = 0
    for m in matching.rank_demand_for(lot, k=10).matches:
        demand = db.session.get(DemandListing, m.id)
        try:
            outreach.invite_to_bid(owner, lot, demand.enterprise_id)
        except DomainError:
            continue  # the same recycler twice, or one that may not bid after all
        invited += 1
        if invited == 2:
            break
    db.session.commit()


def lot_for(park: Park, demand: DemandListing) -> SupplyListing:
    """The named generator offers a lot of the first code the demand listing takes."""
    owner = db.session.execute(
        db.select(User).filter_by(email=f"generator@{park.slug}.demo")
    ).scalar_one()
    code = demand.codes[0]
    today = clock.today()
    lot = listings.create_supply(
        owner,
        listings.SupplyInput(
            waste_code=code.code,
            title=f"{code.category_name[:30]} 8吨",
            local_name=code.category_name[:40],
            quantity=Decimal(8),
            available_from=today,
            available_until=today + timedelta(days=60),
            packaging="200L铁桶",
            asking_price_yuan=Decimal(max(demand.price_offered_fen, 100) // 100),
            bidding_mode="open",
            description="委托有资质单位收运处置，可按约定时间装车。",
        ),
    )
    listings.publish(owner, lot)
    db.session.commit()
    return lot


def lot_payer_without_card(lot: SupplyListing) -> None:
    """So the demo shows a refused payment: the best bidder has no card on file."""
    for bid in bids_of(lot.id):
        enterprise = bid.enterprise
        enterprise.stripe_customer_id = enterprise.stripe_payment_method_id = None


def seed_trading(rng: random.Random) -> Trader:
    trader = Trader(rng)
    for park in db.session.execute(
        db.select(Park).filter_by(is_demo=True).order_by(Park.id)
    ).scalars():
        trader.run(park)
    return trader
