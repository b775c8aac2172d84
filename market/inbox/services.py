"""Sending, wording and reading inbox messages. Read state is each user's own."""

import json

from flask_babel import gettext as _
from sqlalchemy import exists

from market.extensions import db
from market.inbox.models import Message, MessageRead


def notify(
    enterprise_id: int, kind: str, link: str = "", *, to_user: int | None = None, **params
) -> Message:
    """To every member of the enterprise, or (to_user) to one of them only."""
    message = Message(
        enterprise_id=enterprise_id,
        user_id=to_user,
        kind=kind,
        link=link,
        params=json.dumps(params, ensure_ascii=False),
    )
    db.session.add(message)
    return message


def notify_park(park_id: int, kind: str, link: str = "", **params) -> Message:
    """A message to every administrator of the park (they share one inbox)."""
    message = Message(
        park_id=park_id, kind=kind, link=link, params=json.dumps(params, ensure_ascii=False)
    )
    db.session.add(message)
    return message


def params(message: Message) -> dict:
    return json.loads(message.params or "{}")


def _amounts(p: dict) -> dict:
    """Numbers stored raw (fen, kg) are formatted when read, in the reader's language;
    older messages carry them already written out and are shown as they are."""
    from market.formatting import number, price_label, tonnes_label, yuan

    p = dict(p)
    if "price_fen" in p:
        p["price"] = price_label(p["price_fen"])
    if "qty_kg" in p:
        p["qty"] = tonnes_label(p["qty_kg"])
    for key in ("authorised", "extra"):
        if isinstance(p.get(f"{key}_fen"), int):
            p[key] = yuan(p[f"{key}_fen"])
    if isinstance(p.get("kg"), int):
        p["qty"] = tonnes_label(p["kg"])
        p["kg"] = number(p["kg"])
    return p


def wording(message: Message) -> str:
    from market.formatting import payment_problem

    p = _amounts(params(message))
    if "why" in p:
        p["why"] = payment_problem(p["why"] or "refused")
    texts = {
        "bid_received": lambda: (
            _("New bid on “%(lot)s”: %(price)s for %(qty)s.", **p)
            if "price_fen" in p
            else _("New bid on “%(lot)s”: %(price)s per tonne for %(qty)s.", **p)
        ),
        "sealed_bid_received": lambda: _(
            "A sealed bid arrived on “%(lot)s”; all bids open at the deadline.", **p
        ),
        "bid_won": lambda: _("Your bid on “%(lot)s” was accepted: deal #%(deal)s.", **p),
        "bid_lost": lambda: _("Another bid was accepted for “%(lot)s”.", **p),
        "bid_lapsed": lambda: _("“%(lot)s” was withdrawn or expired; your bid lapsed.", **p),
        "deal_made": lambda: _("Deal #%(deal)s made for “%(lot)s”.", **p),
        "deal_cancelled": lambda: _("Deal #%(deal)s for “%(lot)s” was cancelled.", **p),
        "bidding_closed": lambda: _(
            "Bidding on “%(lot)s” has closed with %(n)s bids; choose one.", **p
        ),
        "payment_failed": lambda: _(
            "The payment for deal #%(deal)s did not go through: %(why)s Add or change the "
            "payment method on the deal's page.",
            **p,
        ),
        "payment_done": lambda: _("The payment for deal #%(deal)s is %(status)s.", **p),
        "deal_top_up": lambda: (
            _(
                "Deal #%(deal)s: %(qty)s were received, more than the %(authorised)s "
                "authorised cover; a second payment of %(extra)s is charged.",
                **p,
            )
            if "extra_fen" in p
            else _(
                "Deal #%(deal)s: %(kg)s kg were received, more than the %(authorised)s yuan "
                "authorised cover; a second payment of %(extra)s yuan is charged.",
                **p,
            )
        ),
        "deal_excess_allowed": lambda: _(
            "The recycler of deal #%(deal)s accepts up to %(kg)s kg beyond the deal quantity.", **p
        ),
        **_matching_texts(p),
        "facilitator_to_generator": lambda: _(
            "The park suggests %(recycler)s for your lot “%(lot)s”: its demand matches; "
            "see the lot's matches.",
            **p,
        ),
        "facilitator_to_recycler": lambda: _(
            "The park suggests the lot “%(lot)s” of %(generator)s: it matches your demand; "
            "you may bid on it.",
            **p,
        ),
        "thread_message": lambda: (
            _("%(sender)s wrote to you about deal #%(deal)s.", **p)
            if "deal" in p
            else _("%(sender)s wrote to you about “%(lot)s”.", **p)
        ),
        **_manifest_texts(p),
        **_credit_texts(p),
    }
    return texts[message.kind]() if message.kind in texts else message.kind


def _matching_texts(p: dict) -> dict:
    return {
        "lot_matches": lambda: (
            _(
                "A new lot matches your demand listing “%(demand)s” well (score %(score)s): "
                "“%(lot)s”, %(code)s, %(qty)s.",
                **p,
            )
            if not p.get("more")
            else _(
                "A new lot matches your demand listing “%(demand)s” (score %(score)s) and "
                "%(more)s more of your listings well: “%(lot)s”, %(code)s, %(qty)s.",
                **p,
            )
        ),
        "demand_matches": lambda: (
            _(
                "%(recycler)s published a demand listing, “%(demand)s”, that matches your lot "
                "“%(lot)s” well (score %(score)s); you may invite it to bid.",
                **p,
            )
            if not p.get("more")
            else _(
                "%(recycler)s published a demand listing, “%(demand)s”, that matches your lot "
                "“%(lot)s” (score %(score)s) and %(more)s more of your lots well; you may "
                "invite it to bid.",
                **p,
            )
        ),
        "bid_invited": lambda: _(
            "%(owner)s invites you to bid on “%(lot)s” (%(code)s, %(qty)s).", **p
        ),
        "match_digest": lambda: _(
            "Your daily matches: %(lots)s new lots matched your demand listings well since "
            "%(since)s; the best is “%(lot)s” (score %(score)s).",
            **p,
        ),
    }


def _manifest_texts(p: dict) -> dict:
    return {
        "manifest_submitted": lambda: _(
            "Manifest %(number)s was submitted and waits for pickup.", **p
        ),
        "manifest_cancelled": lambda: _("Manifest %(number)s was cancelled before pickup.", **p),
        "manifest_picked_up": lambda: _(
            "Manifest %(number)s was picked up and is on its way.", **p
        ),
        "manifest_received": lambda: _(
            "Manifest %(number)s was received (%(kg)s kg accepted) and is closed.", **p
        ),
        "manifest_rejected": lambda: _(
            "Manifest %(number)s: the receiver rejected %(kg)s kg; see the reason.", **p
        ),
        "manifest_discrepancy": lambda: _(
            "Manifest %(number)s: the weighed weight differs from the declared one beyond "
            "the park's tolerance.",
            **p,
        ),
        "manifest_overdue": lambda: _(
            "Manifest %(number)s: receipt was due by %(due)s and is not signed.", **p
        ),
        "manifest_corrected": lambda: _(
            "Manifest %(number)s was corrected: version %(version)s.", **p
        ),
    }


def _credit_texts(p: dict) -> dict:
    return {
        "credit_published": lambda: _(
            "Your credit grade %(grade)s was published; it is valid until %(until)s.", **p
        ),
        "credit_appealed": lambda: _(
            "%(enterprise)s appealed its credit grade %(grade)s; an administrator who did "
            "not grade it decides.",
            **p,
        ),
        "credit_appeal_upheld": lambda: _(
            "Your appeal was turned down; your credit grade stays %(grade)s.", **p
        ),
        "credit_appeal_changed": lambda: _(
            "Your appeal succeeded; your credit grade is now %(grade)s.", **p
        ),
        "credit_forced_d": lambda: _(
            "A confirmed serious violation set your credit grade to D.", **p
        ),
        "credit_expiring": lambda: _(
            "The credit grade %(grade)s of %(enterprise)s ends on %(until)s; a new "
            "evaluation is due.",
            **p,
        ),
        "credit_expired": lambda: _("Your credit grade %(grade)s has expired.", **p),
        "bid_grade_d": lambda: _(
            "%(bidder)s, bidding on “%(lot)s”, now has credit grade D; its bid is flagged.",
            **p,
        ),
    }


def addressed_to(user) -> object:
    """The messages a user reads: their enterprise's, or their park's as an administrator."""
    if getattr(user, "admin_park_id", None) is not None:
        return Message.park_id == user.admin_park_id
    mine = Message.user_id.is_(None) | (Message.user_id == user.id)
    return (Message.enterprise_id == user.enterprise_id) & mine


def _unseen(user):
    seen = exists().where(MessageRead.message_id == Message.id, MessageRead.user_id == user.id)
    return addressed_to(user) & ~seen


def unread_select(user):
    """The count of messages to the user's enterprise (or park, for an administrator) that
    this user has not seen, as a select (the menu runs it with its other counts); None for
    a user nothing is addressed to."""
    if user is None or (user.enterprise_id is None and user.admin_park_id is None):
        return None
    return db.select(db.func.count(Message.id)).where(_unseen(user))


def unread_count(user) -> int:
    """How many messages addressed to the user it has not seen (see unread_select)."""
    stmt = unread_select(user)
    return 0 if stmt is None else db.session.scalar(stmt) or 0


def unseen_ids(user, message_ids: list[int]) -> set[int]:
    if not message_ids:
        return set()
    rows = db.session.execute(
        db.select(Message.id).where(_unseen(user), Message.id.in_(message_ids))
    ).scalars()
    return set(rows)


def mark_seen(user, message_ids) -> None:
    """The messages this user was shown, and only those, are read for this user."""
    for message_id in sorted(message_ids):
        db.session.add(MessageRead(message_id=message_id, user_id=user.id))
    db.session.flush()
