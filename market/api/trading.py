"""JSON endpoints for bids and deals, by bearer token, on the same services as the pages."""

from flask import g
from flask_babel import gettext as _

from market.accounts.models import Role
from market.api import replies, schemas
from market.api.base import ID
from market.api.inputs import bid_input
from market.api.views import bp, token_required
from market.db import fen_to_yuan, tonnes
from market.deals import services
from market.deals.models import Deal
from market.deals.queries import deals_for, may_see_deal
from market.errors import NotFound
from market.extensions import db
from market.listings import bidding
from market.listings.checks import require_role
from market.listings.models import Bid, SupplyListing
from market.listings.queries import bid_view, can_view

LOT = f"/listings/supply/<{ID}:lot_id>/bids"


def bid_json(bid: Bid) -> dict:
    return {
        "id": bid.id,
        "lot_id": bid.supply_listing_id,
        "status": bid.status,
        "bidder": {
            "id": bid.enterprise_id,
            "name": bid.enterprise.name,
            "credit_grade": bid.enterprise.credit_grade,
        },
        "bidder_fell_to_d": bid.grade_d_flagged_at is not None,
        "price_yuan": str(fen_to_yuan(bid.price_fen)),
        "quantity_t": str(tonnes(bid.quantity_kg)),
        "match_score": round(bid.match_score, 4),
        "valid_until": bid.valid_until.isoformat(),
        "demand_listing_id": bid.demand_listing_id,
        "note": bid.note,
    }


def contact_json(enterprise) -> dict:
    return {
        "enterprise_id": enterprise.id,
        "name": enterprise.name,
        "contact_name": enterprise.contact_name,
        "phone": enterprise.contact_phone,
        "email": enterprise.contact_email or None,
    }


def contacts_json(deal: Deal, viewer) -> dict | None:
    """Each party's contact person, for the deal's two parties only."""
    if viewer is None or not deal.party(viewer.enterprise_id):
        return None
    return {"generator": contact_json(deal.generator), "recycler": contact_json(deal.recycler)}


def deal_json(deal: Deal, viewer=None) -> dict:
    payment = deal.payment
    return {
        "id": deal.id,
        "lot_id": deal.supply_listing_id,
        "bid_id": deal.bid_id,
        "status": deal.status,
        "generator_id": deal.generator_id,
        "recycler_id": deal.recycler_id,
        "quantity_t": str(tonnes(deal.quantity_kg)),
        "price_yuan": str(fen_to_yuan(deal.price_fen)),
        "amount_yuan": str(fen_to_yuan(deal.amount_fen)),
        "payer": deal.payer,
        "payment": None
        if payment is None
        else {
            "status": payment.status,
            "amount_yuan": str(fen_to_yuan(payment.amount_fen)),
            "captured_yuan": str(fen_to_yuan(payment.captured_fen)),
            "intent_id": payment.intent_id,
        },
        "created_at": deal.created_at.isoformat(),
        "contacts": contacts_json(deal, viewer),
    }


def _visible_lot(lot_id: int) -> SupplyListing:
    lot = db.session.get(SupplyListing, lot_id)
    if lot is None or not can_view(g.api_user, lot):
        raise NotFound(_("No such listing."))
    return lot


@bp.route(LOT, methods=["GET"])
@bp.doc(summary="Bids on a lot, as far as the caller may see them (sealed bids stay hidden)")
@bp.response(200, replies.BidsReply)
@bp.fails(401, 404)
@token_required
def bids(lot_id: int):
    lot = _visible_lot(lot_id)
    view = bid_view(lot, g.api_user)
    shown = view.all_bids or view.mine
    return {
        "mode": lot.bidding_mode,
        "active": view.count,
        "best_price_yuan": None if view.best_fen is None else str(fen_to_yuan(view.best_fen)),
        "sealed": view.sealed,
        "sealed_until": view.sealed_until.isoformat() if view.sealed_until else None,
        "bids": [bid_json(b) for b in shown],
    }


@bp.route(LOT, methods=["POST"])
@bp.doc(summary="Bid on an open lot (recyclers whose demand passes the hard filters)")
@bp.response(201, replies.BidReply)
@bp.fails(400, 401, 403, 404, 409)
@token_required
@bp.arguments(schemas.BidIn)
def place_bid(body, lot_id: int):
    require_role(g.api_user, Role.RECYCLER)
    _visible_lot(lot_id)
    bid = bidding.place_bid(g.api_user, lot_id, bid_input(body))
    db.session.commit()
    return bid_json(bid)


@bp.route(f"/bids/<{ID}:bid_id>/withdraw", methods=["POST"])
@bp.doc(summary="Withdraw one's own active bid")
@bp.response(200, replies.BidReply)
@bp.fails(401, 403, 404, 409)
@token_required
def withdraw_bid(bid_id: int):
    bid = bidding.withdraw_bid(g.api_user, bid_id)
    db.session.commit()
    return bid_json(bid)


@bp.route(f"/bids/<{ID}:bid_id>/accept", methods=["POST"])
@bp.doc(summary="Accept a bid on one's own lot: makes the deal, authorises the payment")
@bp.response(201, replies.DealReply)
@bp.fails(401, 403, 404, 409)
@token_required
def accept_bid(bid_id: int):
    deal = services.accept_bid(g.api_user, bid_id)
    db.session.commit()
    services.after_commit_payment(deal)
    db.session.refresh(deal)
    return deal_json(deal, g.api_user)


@bp.route("/deals", methods=["GET"])
@bp.doc(summary="The caller's deals, newest first, 50 a page")
@bp.response(200, replies.DealPage)
@bp.fails(400, 401)
@token_required
@bp.arguments(schemas.PageArgs, location="query")
def deals(args):
    page = db.paginate(
        deals_for(g.api_user), page=args.get("page", 1), per_page=50, error_out=False
    )
    items = [deal_json(d, g.api_user) for d in page.items]
    return {"page": page.page, "pages": page.pages, "total": page.total, "items": items}


@bp.route(f"/deals/<{ID}:deal_id>", methods=["GET"])
@bp.doc(summary="One deal")
@bp.response(200, replies.DealReply)
@bp.fails(401, 404)
@token_required
def deal(deal_id: int):
    row = db.session.get(Deal, deal_id)
    if row is None or not may_see_deal(g.api_user, row):
        raise NotFound(_("No such deal."))
    return deal_json(row, g.api_user)


@bp.route(f"/deals/<{ID}:deal_id>/cancel", methods=["POST"])
@bp.doc(summary="Cancel a deal before pickup; releases the payment authorisation")
@bp.response(200, replies.DealReply)
@bp.fails(400, 401, 403, 404, 409)
@token_required
@bp.arguments(schemas.CancelIn, required=False)
def cancel_deal(body, deal_id: int):
    row = services.cancel_deal(g.api_user, deal_id, body.get("reason", ""))
    db.session.commit()
    return deal_json(row, g.api_user)
