"""What a change of a grade in force does at once: rankings in every worker use it (a
version row the matching service compares on each ranking, and this process's indexes
marked dirty), and an enterprise that falls to D has its standing bids flagged to the
generators who received them."""

from market.credit.models import Evaluation, GradeVersion
from market.credit.states import IN_FORCE
from market.db import utcnow
from market.extensions import db
from market.inbox.services import notify
from market.listings.models import Bid
from market.listings.states import BidStatus
from market.matching import service as matching


def bump_version() -> None:
    """One more than before, in the caller's transaction (it commits with the grade)."""
    done = db.session.execute(
        db.update(GradeVersion)
        .where(GradeVersion.id == 1)
        .values(version=GradeVersion.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:  # a database made without the migration's seed row (tests' create_all)
        db.session.add(GradeVersion(id=1, version=1))
        db.session.flush()


def grade_changed(evaluation: Evaluation) -> None:
    bump_version()
    matching.mark_dirty()
    if evaluation.grade == "D" and evaluation.status in IN_FORCE:
        flag_bids(evaluation.enterprise_id)


def flag_bids(enterprise_id: int) -> list[Bid]:
    """Active bids of an enterprise now graded D: flagged once each, generator told."""
    bids = list(
        db.session.execute(
            db.select(Bid)
            .where(
                Bid.enterprise_id == enterprise_id,
                Bid.status == BidStatus.ACTIVE,
                Bid.grade_d_flagged_at.is_(None),
            )
            .order_by(Bid.id)
        ).scalars()
    )
    now = utcnow()
    for bid in bids:
        bid.grade_d_flagged_at = now
        notify(
            bid.listing.enterprise_id,
            "bid_grade_d",
            link=f"/listings/supply/{bid.supply_listing_id}",
            lot=bid.listing.title,
            bidder=bid.enterprise.name,
        )
    db.session.flush()
    return bids
