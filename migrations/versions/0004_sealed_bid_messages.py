"""sealed bids stay sealed in the inbox: scrub prices from earlier messages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:00:00

Before this revision the owner of a sealed lot was sent every bid's price and
quantity. Messages about bids on sealed lots whose deadline has not passed become
"a sealed bid arrived" with the lot's title only; after the deadline the bids are
open anyway, so those messages are left as they were.
"""
import json
import re
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

LOT_LINK = re.compile(r"^/listings/supply/(\d+)$")


def scrub(conn, now=None) -> int:
    """Rewrite messages that leak sealed bids; returns how many were rewritten."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    rows = conn.execute(
        sa.text("SELECT id, link, params FROM messages WHERE kind = 'bid_received'")
    ).all()
    changed = 0
    for message_id, link, params in rows:
        found = LOT_LINK.match(link or "")
        if not found:
            continue
        lot = conn.execute(
            sa.text("SELECT bidding_mode, bid_deadline FROM supply_listings WHERE id = :id"),
            {"id": int(found.group(1))},
        ).first()
        if lot is None or lot[0] != "sealed":
            continue
        deadline = lot[1]
        if isinstance(deadline, str):
            deadline = datetime.fromisoformat(deadline)
        if deadline is not None and deadline <= now:
            continue
        title = json.loads(params or "{}").get("lot", "")
        conn.execute(
            sa.text("UPDATE messages SET kind = 'sealed_bid_received', params = :p WHERE id = :id"),
            {"p": json.dumps({"lot": title}, ensure_ascii=False), "id": message_id},
        )
        changed += 1
    return changed


def upgrade():
    scrub(op.get_bind())


def downgrade():
    pass  # the prices that were removed are not restored
