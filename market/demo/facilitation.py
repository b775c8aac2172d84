"""The demo's facilitator: a week after the parks opened, each park's administrator suggests
the best recyclers for open lots nobody bid on; on every other lot the first recycler then
bids and wins, so the desk shows suggestions that became deals."""

from decimal import Decimal

from market.accounts.models import Park, User
from market.demo.timeline import beijing, clock_at
from market.errors import DomainError
from market.extensions import db
from market.facilitator import queries, services
from market.listings import bidding
from market.listings.models import DemandListing
from market.matching import service as matching

SUGGESTED_DAYS_AGO = 9  # the lots were listed 16 days ago: a week with no bid
LOTS_PER_PARK = 6
MATCHES_PER_LOT = 2


def seed_facilitation(trader) -> dict[str, int]:
    counts = {"suggestions": 0, "deals": 0}
    with clock_at(beijing(SUGGESTED_DAYS_AGO, 10)):
        for park in db.session.scalars(db.select(Park).filter_by(is_demo=True).order_by(Park.id)):
            admin = db.session.execute(
                db.select(User).filter_by(email=f"admin@{park.slug}.demo")
            ).scalar_one()
            lots = [lot for lot in queries.unbid_lots(park.id, 7) if lot.bidding_mode == "open"]
            for i, lot in enumerate(lots[:LOTS_PER_PARK]):
                sent = _suggest(admin, lot)
                counts["suggestions"] += len(sent)
                if sent and i % 2 == 0 and _bid(lot, sent[0]) and trader.accept_best(lot):
                    counts["deals"] += 1
    return counts


def _suggest(admin: User, lot) -> list[int]:
    sent = []
    for match in matching.rank_demand_for(lot, k=MATCHES_PER_LOT).matches:
        try:
            with db.session.begin_nested():
                services.suggest(admin, lot.id, match.id)
        except DomainError:
            continue
        sent.append(match.id)
    db.session.commit()
    return sent


def _bid(lot, demand_id: int) -> bool:
    demand = db.session.get(DemandListing, demand_id)
    kg = min(lot.quantity_kg, demand.remaining_capacity_kg)
    try:
        bidding.place_bid(
            demand.created_by,
            lot.id,
            bidding.BidInput(price_yuan=Decimal(lot.asking_price_fen) / 100,
                             quantity_t=Decimal(kg) / 1000, note="园区撮合推荐后出价"),
        )  # fmt: skip
    except DomainError:
        db.session.rollback()
        return False
    db.session.commit()
    return True
