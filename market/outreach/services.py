"""Matching that reaches out: a published lot tells the recyclers it matches well (once
per lot × demand listing), a lot's owner invites a recycler to bid (once per lot ×
recycler), and opted-in users get one digest a business day.

What a notice says: the lot's title, code and quantity and the score — never anything
about bids, so a sealed lot stays sealed in the inbox as on its page."""

from collections import defaultdict
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from market import clock
from market.accounts.models import Enterprise, User
from market.errors import Conflict, Forbidden, NotFound
from market.extensions import db
from market.inbox.models import Message
from market.inbox.services import notify
from market.listings.models import DemandListing, SupplyListing
from market.listings.states import ListingStatus
from market.matching import service
from market.matching.models import BidInvitation, MatchDigest, MatchNotice

DIGEST_REACH = timedelta(days=7)  # a first digest does not dig up older matches


def lot_link(lot_id: int) -> str:
    return f"/listings/supply/{lot_id}"


def _already_told(lot_id: int) -> set[int]:
    return set(
        db.session.execute(
            db.select(MatchNotice.demand_listing_id).filter_by(supply_listing_id=lot_id)
        ).scalars()
    )


def good_matches(lot: SupplyListing, today: date | None = None) -> list:
    """The park's best notify_top_n demand listings scoring at least notify_min_score."""
    row = service.settings_row(lot.enterprise.park_id)
    ranking = service.rank_demand_for(
        lot, k=row.notify_top_n, settings=service.to_settings(row), today=today
    )
    return [m for m in ranking.matches if m.score >= row.notify_min_score]


def tell_matches(lot: SupplyListing, today: date | None = None) -> list[MatchNotice]:
    """On publishing an open lot: each recycler with well-matching open demand listings
    gets one inbox message; a lot × demand listing pair is never told twice."""
    if lot.status != ListingStatus.OPEN:
        return []
    today = today or clock.today()
    told = _already_told(lot.id)
    fresh = [m for m in good_matches(lot, today) if m.id not in told]
    demands = service.load(DemandListing, [m.id for m in fresh])
    notices: dict[int, list[MatchNotice]] = defaultdict(list)
    for m in fresh:
        demand = demands.get(m.id)
        if demand is None or demand.enterprise_id == lot.enterprise_id:
            continue
        notices[demand.enterprise_id].append((_record_pair(lot, demand, m.score, today), demand))
    db.session.flush()
    for enterprise_id, pairs in notices.items():
        _notify_match(enterprise_id, lot, pairs)
    return [n for pairs in notices.values() for n, _d in pairs]


def _record_pair(lot, demand, score: float, today: date) -> MatchNotice:
    """A lot × demand listing pair told (either way), for the recycler's digest."""
    notice = MatchNotice(
        supply_listing_id=lot.id,
        demand_listing_id=demand.id,
        enterprise_id=demand.enterprise_id,
        score=min(1.0, max(0.0, score)),
        day=today,
    )
    db.session.add(notice)
    return notice


def _notify_match(enterprise_id: int, lot: SupplyListing, pairs) -> None:
    best, demand = max(pairs, key=lambda p: p[0].score)
    notify(
        enterprise_id,
        "lot_matches",
        link=lot_link(lot.id),
        lot=lot.title,
        code=lot.waste_code.code,
        qty_kg=lot.quantity_kg,
        demand=demand.title,
        score=round(best.score * 100),
        more=len(pairs) - 1,
    )


def tell_lot_owners(demand: DemandListing, today: date | None = None) -> list[MatchNotice]:
    """On publishing an open demand listing: the owner of each well-matching open lot (the
    park's threshold and top N, as for lots) gets one inbox message naming its best lot,
    so it may invite the recycler to bid. The pairs are recorded like a lot's notices (for
    the recycler's digest): a lot × demand listing pair told either way is not told again."""
    if demand.status != ListingStatus.OPEN:
        return []
    today = today or clock.today()
    row = service.settings_row(demand.enterprise.park_id)
    settings = service.to_settings(row)
    ranking = service.rank_supply_for(demand, k=row.notify_top_n, settings=settings, today=today)
    told = set(
        db.session.execute(
            db.select(MatchNotice.supply_listing_id).filter_by(demand_listing_id=demand.id)
        ).scalars()
    )
    fresh = [m for m in ranking.matches if m.score >= row.notify_min_score and m.id not in told]
    lots = service.load(SupplyListing, [m.id for m in fresh])
    owners: dict[int, list] = defaultdict(list)
    for m in fresh:
        lot = lots.get(m.id)
        if lot is None or lot.enterprise_id == demand.enterprise_id:
            continue
        owners[lot.enterprise_id].append((_record_pair(lot, demand, m.score, today), lot))
    db.session.flush()
    for owner_id, pairs in owners.items():
        best, lot = max(pairs, key=lambda p: p[0].score)
        notify(
            owner_id,
            "demand_matches",
            link=f"/matching/supply/{lot.id}",
            demand=demand.title,
            recycler=demand.enterprise.name,
            lot=lot.title,
            score=round(best.score * 100),
            more=len(pairs) - 1,
        )
    return [n for pairs in owners.values() for n, _lot in pairs]


# Invitations to bid


def invited_enterprises(lot_id: int) -> set[int]:
    return set(
        db.session.execute(
            db.select(BidInvitation.enterprise_id).filter_by(supply_listing_id=lot_id)
        ).scalars()
    )


def invite_to_bid(user: User, lot: SupplyListing, enterprise_id: int) -> BidInvitation:
    """Only the lot's own enterprise invites; only to an open lot still taking bids; only a
    recycler that could bid on it; and once per lot and recycler."""
    if user.enterprise_id is None or user.enterprise_id != lot.enterprise_id:
        raise Forbidden(_("Only the enterprise that posted this lot may invite bids on it."))
    _require_taking_bids(lot)
    recycler = db.session.get(Enterprise, enterprise_id)
    if recycler is None or not recycler.is_recycler or recycler.id == lot.enterprise_id:
        raise NotFound(_("There is no such recycler."))
    if enterprise_id in invited_enterprises(lot.id):
        raise Conflict(_("%(name)s was already invited to bid on this lot.", name=recycler.name))
    if not service.rank_own_demand(lot, enterprise_id).matches:
        raise Conflict(
            _(
                "%(name)s may not bid on this lot: none of its open demand listings qualifies.",
                name=recycler.name,
            )  # fmt: skip
        )
    return _record_invitation(user, lot, recycler)


def _require_taking_bids(lot: SupplyListing) -> None:
    closed = lot.bid_deadline is not None and lot.bid_deadline <= clock.now()
    if lot.status != ListingStatus.OPEN or closed:
        raise Conflict(_("Only an open lot that still takes bids can invite bids."))


def _record_invitation(user: User, lot: SupplyListing, recycler: Enterprise) -> BidInvitation:
    row = BidInvitation(supply_listing_id=lot.id, enterprise_id=recycler.id, invited_by_id=user.id)
    try:
        with db.session.begin_nested():  # two clicks at once: the unique pair settles it
            db.session.add(row)
    except IntegrityError as exc:
        raise Conflict(
            _("%(name)s was already invited to bid on this lot.", name=recycler.name)
        ) from exc
    notify(
        recycler.id,
        "bid_invited",
        link=lot_link(lot.id),
        owner=lot.enterprise.name,
        lot=lot.title,
        code=lot.waste_code.code,
        qty_kg=lot.quantity_kg,
    )
    db.session.flush()
    return row


# The daily digest


def set_digest(user: User, wanted: bool) -> None:
    user.match_digest = bool(wanted)
    db.session.flush()


def _digest_users():
    return (
        db.session.execute(
            db.select(User)
            .join(Enterprise, User.enterprise_id == Enterprise.id)
            .where(User.match_digest.is_(True), User.active.is_(True), Enterprise.is_recycler)
            .order_by(User.id)
        )
        .scalars()
        .all()
    )


def _new_notices(user: User, today: date) -> list[MatchNotice]:
    last = db.session.scalar(
        db.select(db.func.max(MatchDigest.last_notice_id)).filter_by(user_id=user.id)
    )
    return (
        db.session.execute(
            db.select(MatchNotice)
            .where(
                MatchNotice.enterprise_id == user.enterprise_id,
                MatchNotice.id > (last or 0),
                MatchNotice.day < today,
                MatchNotice.day >= today - DIGEST_REACH,
            )
            .order_by(MatchNotice.id)
        )
        .scalars()
        .all()
    )


def send_digests(today: date | None = None) -> int:
    """Once per business day, each opted-in recycler's user gets one message summing up
    the good matches found since their last digest (up to yesterday); none when there
    are none. Returns how many digests were sent."""
    today = today or clock.today()
    sent = 0
    for user in _digest_users():
        done = db.session.scalar(db.select(MatchDigest.id).filter_by(user_id=user.id, day=today))
        notices = [] if done else _new_notices(user, today)
        if notices and _send_digest(user, notices, today):
            sent += 1
    return sent


def _send_digest(user: User, notices: list[MatchNotice], today: date) -> bool:
    best = max(notices, key=lambda n: (n.score, -n.id))
    try:
        with db.session.begin_nested():  # another run on the same day: its digest stands
            message: Message = notify(
                user.enterprise_id,
                "match_digest",
                link="/listings/?kind=supply&sort=match",
                to_user=user.id,
                lots=len({n.supply_listing_id for n in notices}),
                since=min(n.day for n in notices).isoformat(),
                lot=best.lot.title,
                score=round(best.score * 100),
            )
            db.session.flush()
            db.session.add(
                MatchDigest(
                    user_id=user.id,
                    day=today,
                    notices=len(notices),
                    last_notice_id=notices[-1].id,
                    message_id=message.id,
                )
            )
    except IntegrityError:
        return False
    return True
