"""What waits on a user, as counts with a few rows each: bids on the enterprise's lots, its
own bids, deals and payments, manifests to sign, licences running out, unread messages; for a
park administrator, credit evaluations to decide and flagged manifests. Counts on indexed
columns; a sealed lot shows how many bids it has and nothing more."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, or_

from market import clock
from market.accounts.models import Licence
from market.credit import queries as credit_queries
from market.db import utcnow
from market.deals.models import Deal, Payment
from market.deals.states import DealStatus, PaymentStatus
from market.extensions import db
from market.inbox import queries as thread_queries
from market.inbox.services import unread_count
from market.listings.bidding import is_sealed
from market.listings.models import Bid, SupplyListing
from market.listings.states import BidStatus, ListingStatus
from market.manifests import calendar
from market.manifests import queries as manifest_queries

ROWS = 5  # rows shown under each count
LICENCE_DAYS = 60
BIDDABLE = (ListingStatus.OPEN, ListingStatus.BIDS_CLOSED)


@dataclass
class LotBids:
    lot: SupplyListing
    bids: int  # active bids: all a sealed lot tells before its deadline
    sealed: bool  # still sealed: the bids cannot be seen or accepted yet


@dataclass
class Desk:
    lots: list[LotBids] = field(default_factory=list)  # my open lots with active bids
    lots_total: int = 0
    to_decide: int = 0  # active bids on my lots that I may accept now
    decide_lots: list = field(default_factory=list)  # the lots those bids are on
    my_bids: list = field(default_factory=list)
    my_bids_total: int = 0
    deals: list = field(default_factory=list)  # deals in progress (made)
    deals_total: int = 0
    payments_to_fix: list = field(default_factory=list)  # failed payments my side owes
    manifests: list = field(default_factory=list)  # waiting for my signature
    manifests_total: int = 0
    licences: list = field(default_factory=list)  # ending within LICENCE_DAYS
    unread_messages: int = 0
    unread_threads: int = 0
    unread_notices: int = 0
    # park administrators
    credit_awaiting: int = 0
    flagged_manifests: int = 0

    @property
    def nothing_waits(self) -> bool:
        counts = (
            self.lots_total, self.to_decide, self.my_bids_total, self.deals_total,
            len(self.payments_to_fix), self.manifests_total, len(self.licences),
            self.unread_threads, self.unread_notices, self.credit_awaiting,
            self.flagged_manifests,
        )  # fmt: skip
        return not any(counts)


def desk_for(user) -> Desk:
    desk = Desk(
        unread_notices=unread_count(user),
        unread_messages=thread_queries.unread_total(user),
        unread_threads=thread_queries.unread_threads(user),
    )
    if user.is_park_admin:
        _admin(user, desk)
    elif user.enterprise_id is not None:
        _member(user, desk)
    return desk


def _member(user, desk: Desk) -> None:
    eid = user.enterprise_id
    _lots(eid, desk)
    _my_bids(eid, desk)
    _deals(eid, desk)
    waiting = manifest_queries.awaiting(user)
    desk.manifests, desk.manifests_total = waiting[:ROWS], len(waiting)
    today = clock.today()
    desk.licences = list(
        db.session.scalars(
            db.select(Licence)
            .where(
                Licence.enterprise_id == eid,
                Licence.valid_until >= today,
                Licence.valid_until <= today + timedelta(days=LICENCE_DAYS),
            )
            .order_by(Licence.valid_until)
        )
    )


def _lots(eid: int, desk: Desk) -> None:
    n = func.count(Bid.id)
    rows = db.session.execute(
        db.select(SupplyListing, n)
        .join(Bid, Bid.supply_listing_id == SupplyListing.id)
        .where(
            SupplyListing.enterprise_id == eid,
            SupplyListing.status.in_(BIDDABLE),
            Bid.status == BidStatus.ACTIVE,
        )
        .group_by(SupplyListing.id)
        .order_by(SupplyListing.id.desc())
    ).all()
    now = utcnow()
    lots = [LotBids(lot, count, is_sealed(lot, now)) for lot, count in rows]
    desk.lots, desk.lots_total = lots[:ROWS], len(lots)
    decidable = [row for row in lots if not row.sealed]
    desk.to_decide = sum(row.bids for row in decidable)
    desk.decide_lots = [row.lot for row in decidable]


def _my_bids(eid: int, desk: Desk) -> None:
    stmt = db.select(Bid).where(Bid.enterprise_id == eid, Bid.status == BidStatus.ACTIVE)
    desk.my_bids_total = db.session.scalar(db.select(func.count()).select_from(stmt.subquery()))
    desk.my_bids = list(db.session.scalars(stmt.order_by(Bid.id.desc()).limit(ROWS)))


def _deals(eid: int, desk: Desk) -> None:
    mine = or_(Deal.generator_id == eid, Deal.recycler_id == eid)
    stmt = db.select(Deal).where(mine, Deal.status == DealStatus.MADE)
    desk.deals_total = db.session.scalar(db.select(func.count()).select_from(stmt.subquery()))
    desk.deals = list(db.session.scalars(stmt.order_by(Deal.id.desc()).limit(ROWS)))
    desk.payments_to_fix = list(
        db.session.scalars(
            db.select(Deal)
            .join(Payment, Payment.deal_id == Deal.id)
            .where(
                Payment.payer_id == eid,
                Payment.status == PaymentStatus.FAILED,
                Deal.status != DealStatus.CANCELLED,
            )
            .order_by(Deal.id.desc())
        ).unique()
    )


def _admin(user, desk: Desk) -> None:
    desk.credit_awaiting = len(credit_queries.awaiting_approval(user)) + len(
        credit_queries.appeals_to_decide(user)
    )
    flagged = calendar.flagged(user.admin_park_id, "any")
    desk.flagged_manifests = db.session.scalar(
        db.select(func.count()).select_from(flagged.order_by(None).subquery())
    )
