"""The menu's badges (market.menu): every count in one statement per page, the same numbers
the separate queries give, nothing for a visitor."""

from sqlalchemy import event

from market import menu
from market.extensions import db
from market.inbox.models import Message
from market.inbox.services import unread_count
from market.manifests.queries import awaiting, transporter_queue
from market.warnings.queries import waiting_count
from tests.conftest import login


class Statements:
    def __init__(self):
        self.seen = []

    def __call__(self, conn, cursor, statement, *rest):
        self.seen.append(statement)


def _counting():
    seen = Statements()
    event.listen(db.engine, "before_cursor_execute", seen)
    return seen


def test_a_page_reads_every_badge_in_one_statement(app, client, world):
    for n in range(3):
        db.session.add(Message(enterprise_id=world.recycler.enterprise_id, kind=f"note{n}"))
    db.session.commit()
    login(client, world.recycler)
    seen = _counting()
    try:
        page = client.get("/catalog/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    menu_reads = [s for s in seen.seen if "messages" in s and "warnings" in s]
    assert len(menu_reads) == 1 and "manifests" in menu_reads[0]
    assert not [s for s in seen.seen if s.lstrip().startswith("SELECT count(warnings")]
    assert '<span class="badge bg-warning text-dark">3</span>' in page  # the inbox badge


def test_the_badges_are_the_numbers_each_query_gives(app, world):
    for user in (world.recycler, world.generator, world.admin):
        with app.test_request_context():
            from flask_login import login_user

            login_user(user)
            badges = menu.counts()
            assert badges["unread"] == unread_count(user)
            assert badges["warnings"] == waiting_count(user)
            if user.enterprise_id is not None:
                assert badges["awaiting"] == len(awaiting(user))
                queue = transporter_queue(user)
                assert badges["carrying"] == len(queue)
                assert badges["pickups"] == sum(m.status == "submitted" for m in queue)


def test_a_visitor_costs_no_statement(app):
    with app.test_request_context():
        seen = _counting()
        try:
            assert menu.counts() == menu.NONE
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        assert seen.seen == []
