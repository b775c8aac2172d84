"""The demo's conversations, through the thread services: the named recycler and the other
party of its deal agree a pickup, and it asks the named generator about an open lot, so the
inbox, the deal page and the desk show messages (the latest ones unread)."""

from market.accounts.models import Park, User
from market.deals.models import Deal
from market.extensions import db
from market.inbox import threads
from market.listings.models import SupplyListing
from market.listings.states import ListingStatus

DEAL_TALK = (
    ("recycler", "您好，我们计划下周二上午派车装运，请问厂区几点可以进车？"),
    ("generator", "上午八点半以后都可以，请从东门进，提前半小时电话联系门卫。"),
    ("recycler", "好的。车辆为危险品运输车，司机会带好联单和证件。"),
)
QUESTION = "请问这批货是否已做成分检测？能否提供检测报告或 MSDS？"


def named(park: Park, local: str) -> User:
    return db.session.execute(
        db.select(User).filter_by(email=f"{local}@{park.slug}.demo")
    ).scalar_one()


def seed_conversations(park: Park) -> int:
    recycler, generator = named(park, "recycler"), named(park, "generator")
    written = _deal_talk(recycler)
    lot = db.session.scalars(
        db.select(SupplyListing)
        .where(
            SupplyListing.enterprise_id == generator.enterprise_id,
            SupplyListing.status == ListingStatus.OPEN,
        )
        .order_by(SupplyListing.id)
        .limit(1)
    ).first()
    if lot is not None:
        threads.ask_about(recycler, "supply", lot.id, QUESTION)
        written += 1
    db.session.commit()
    return written


def _deal_talk(recycler: User) -> int:
    deal = db.session.scalars(
        db.select(Deal)
        .where(Deal.recycler_id == recycler.enterprise_id, Deal.status == "made")
        .order_by(Deal.id)
        .limit(1)
    ).first()
    if deal is None:
        return 0
    sides = {"recycler": recycler, "generator": deal.generator.users[0]}
    for side, text in DEAL_TALK:
        threads.write_on_deal(sides[side], deal.id, text)
    return len(DEAL_TALK)
