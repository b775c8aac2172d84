"""JSON endpoints for bids and deals, by bearer token, on the same services as the pages."""

from flask import abort, g, jsonify, request

from market.accounts.models import Role
from market.api.views import bp, form_errors, json_body, token_required
from market.db import fen_to_yuan, tonnes
from market.deals import services
from market.deals.models import Deal
from market.deals.queries import deals_for, may_see_deal
from market.extensions import db
from market.listings import bidding
from market.listings.checks import require_role
from market.listings.forms import BidForm
from market.listings.models import Bid, SupplyListing
from market.listings.queries import bid_view, can_view


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
        "price_yuan": str(fen_to_yuan(bid.price_fen)),
        "quantity_t": str(tonnes(bid.quantity_kg)),
        "match_score": round(bid.match_score, 4),
        "valid_until": bid.valid_until.isoformat(),
        "demand_listing_id": bid.demand_listing_id,
        "note": bid.note,
    }


def deal_json(deal: Deal) -> dict:
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
    }


@bp.get("/listings/supply/<int:lot_id>/bids")
@token_required
def bids(lot_id: int):
    lot = db.session.get(SupplyListing, lot_id)
    if lot is None or not can_view(g.api_user, lot):
        abort(404)
    view = bid_view(lot, g.api_user)
    shown = view.all_bids or view.mine
    return jsonify(
        {
            "mode": lot.bidding_mode,
            "active": view.count,
            "best_price_yuan": None if view.best_fen is None else str(fen_to_yuan(view.best_fen)),
            "sealed": view.sealed,
            "sealed_until": view.sealed_until.isoformat() if view.sealed_until else None,
            "bids": [bid_json(b) for b in shown],
        }
    )


@bp.post("/listings/supply/<int:lot_id>/bids")
@token_required
def place_bid(lot_id: int):
    from market.api.views import formdata_from_json
    from market.listings.forms import bid_input

    require_role(g.api_user, Role.RECYCLER)
    form = BidForm(formdata=formdata_from_json(json_body()), meta={"csrf": False})
    if not form.validate():
        return form_errors(form)
    bid = bidding.place_bid(g.api_user, lot_id, bid_input(form))
    db.session.commit()
    return jsonify(bid_json(bid)), 201


@bp.post("/bids/<int:bid_id>/withdraw")
@token_required
def withdraw_bid(bid_id: int):
    bid = bidding.withdraw_bid(g.api_user, bid_id)
    db.session.commit()
    return jsonify(bid_json(bid))


@bp.post("/bids/<int:bid_id>/accept")
@token_required
def accept_bid(bid_id: int):
    deal = services.accept_bid(g.api_user, bid_id)
    db.session.commit()
    services.after_commit_payment(deal)
    db.session.refresh(deal)
    return jsonify(deal_json(deal)), 201


@bp.get("/deals")
@token_required
def deals():
    page = db.paginate(
        deals_for(g.api_user),
        page=request.args.get("page", 1, type=int) or 1,
        per_page=50,
        error_out=False,
    )
    return jsonify(
        {
            "page": page.page,
            "pages": page.pages,
            "total": page.total,
            "items": [deal_json(d) for d in page.items],
        }
    )


@bp.get("/deals/<int:deal_id>")
@token_required
def deal(deal_id: int):
    row = db.session.get(Deal, deal_id)
    if row is None or not may_see_deal(g.api_user, row):
        abort(404)
    return jsonify(deal_json(row))


@bp.post("/deals/<int:deal_id>/cancel")
@token_required
def cancel_deal(deal_id: int):
    body = request.get_json(silent=True) or {}
    note = str(body.get("reason", ""))[:500] if isinstance(body, dict) else ""
    row = services.cancel_deal(g.api_user, deal_id, note)
    db.session.commit()
    return jsonify(deal_json(row))
