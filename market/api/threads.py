"""JSON endpoints for threads: the caller's conversations, one conversation, and writing in
one (on a deal, a question on a listing, or a reply). The same services as the pages."""

from flask import g

from market.api import replies, schemas
from market.api.base import ID
from market.api.views import bp, named, token_required
from market.extensions import db
from market.inbox import queries
from market.inbox import threads as service


def message_json(message) -> dict:
    return {
        "id": message.id,
        "thread_id": message.thread_id,
        "author": message.author.name,
        "enterprise_id": message.enterprise_id,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


def thread_json(thread, unread: int) -> dict:
    listing = thread.listing
    title = thread.deal.listing.title if thread.deal_id else listing.title
    return {
        "id": thread.id,
        "deal_id": thread.deal_id,
        "listing": None if listing is None else {"kind": listing.kind, "id": listing.id},
        "title": title,
        "owner": {"id": thread.owner.id, "name": thread.owner.name},
        "other": {"id": thread.other.id, "name": thread.other.name},
        "unread": unread,
        "last_message_at": thread.last_message_at.isoformat(),
    }


@bp.route("/threads", methods=["GET"])
@bp.doc(summary="The caller's conversations, latest message first, 50 a page")
@bp.response(200, replies.ThreadPage)
@bp.fails(400, 401)
@token_required
@bp.arguments(schemas.PageArgs, location="query")
def threads(args):
    page = db.paginate(
        queries.threads_for(g.api_user), page=args.get("page", 1), per_page=50, error_out=False
    )
    unread = queries.unread_by_thread(g.api_user, [t.id for t in page.items])
    items = [thread_json(t, unread.get(t.id, 0)) for t in page.items]
    return {"page": page.page, "pages": page.pages, "total": page.total, "items": items}


@bp.route(f"/threads/<{ID}:thread_id>", methods=["GET"])
@bp.doc(summary="One conversation with its messages; reading it marks it read for the caller")
@bp.response(200, replies.ThreadDetailReply)
@bp.fails(401, 404)
@token_required
def thread(thread_id: int):
    row = service.thread_for(g.api_user, thread_id)
    unread = queries.unread_by_thread(g.api_user, [row.id]).get(row.id, 0)
    service.seen(g.api_user, row)
    messages = [message_json(m) for m in queries.messages_of(row)]
    body = {**thread_json(row, unread), "messages": messages}
    db.session.commit()
    return body


@bp.route(f"/threads/<{ID}:thread_id>/messages", methods=["POST"])
@bp.doc(summary="Reply in a conversation (its two parties only)")
@bp.response(201, replies.MessageReply)
@bp.fails(400, 401, 403, 404)
@token_required
@bp.arguments(schemas.MessageIn)
def reply(body, thread_id: int):
    message = service.reply(g.api_user, thread_id, body["body"])
    db.session.commit()
    return message_json(message)


@bp.route(f"/deals/<{ID}:deal_id>/messages", methods=["POST"])
@bp.doc(summary="Write to the other party of a deal (the deal's conversation)")
@bp.response(201, replies.MessageReply)
@bp.fails(400, 401, 404)
@token_required
@bp.arguments(schemas.MessageIn)
def write_on_deal(body, deal_id: int):
    message = service.write_on_deal(g.api_user, deal_id, body["body"])
    db.session.commit()
    return message_json(message)


def ask(kind: str):
    def view(body, listing_id: int):
        message = service.ask_about(g.api_user, kind, listing_id, body["body"])
        db.session.commit()
        return message_json(message)

    return named(view, f"ask_{kind}")


for _kind in ("supply", "demand"):
    bp.route(
        f"/listings/{_kind}/<{ID}:listing_id>/questions", methods=["POST"], endpoint=f"ask_{_kind}"
    )(
        bp.doc(summary="Ask the listing's owner a question (members of another enterprise)")(
            bp.fails(400, 401, 403, 404, 409)(
                bp.response(201, replies.MessageReply)(
                    token_required(bp.arguments(schemas.MessageIn)(ask(_kind)))
                )
            )
        )
    )
