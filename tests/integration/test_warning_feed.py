"""The set-based warning feed (grouped queries over the park) yields exactly the rule inputs
of the per-enterprise computation (`feed_reference`: ledgers built enterprise by enterprise)
on a mixed small world: generators, recyclers, an enterprise that is both, filing tiers,
movements on either side of Beijing midnight and of a month's end, untreated receipts,
expired and overlapping licences, lots with and without bids, and another park's rows.
Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""

from datetime import UTC, datetime, time, timedelta

from market import clock
from market.extensions import db
from market.manifests.models import Filing
from market.manifests.periods import parse as parse_period
from market.warnings import feed, feed_reference
from market.warnings.rules import RuleKey, Settings
from tests import factories
from tests import ledger_factories as lf

ISW, HW, OTHER = "ISW-17-01-01", "900-214-08", "900-041-49"


def beijing(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), clock.BEIJING).astimezone(UTC)


def file(user, code: str, key: str, kg: int, kind: str = "monthly", late_days: int = 3):
    period = parse_period(key)
    code_id = lf.code(code, user.enterprise.park_id).id
    row = Filing(enterprise_id=user.enterprise_id, waste_code_id=code_id,
                 period_kind=kind, period_key=period.key, period_start=period.start,
                 period_end=period.end, generated_kg=kg,
                 filed_on=period.end + timedelta(days=late_days), filed_by_id=user.id)  # fmt: skip
    db.session.add(row)
    return row


def month_key(day) -> str:
    return day.strftime("%Y-%m")


def edges(today, deals, user) -> None:
    """Movements on either side of Beijing midnight, of a month's end and of the last month
    compared with the filings (under-declared); one receipt left untreated is the only
    stock of its code, so the day it counts on is the stock's oldest day."""
    first = today.replace(day=1) - timedelta(days=31)
    last = first.replace(day=1) - timedelta(days=1)  # the last day of the month before
    cutoff = feed._last_filed_month_end(today)
    for deal, pickup, receipt, code in (
        (deals[0], beijing(last, 23, 30), beijing(first.replace(day=1), 0, 30), ISW),
        (deals[2], beijing(last, 7, 50), beijing(last, 23, 59), ISW),
        (deals[3], beijing(first.replace(day=1), 0, 10), beijing(first.replace(day=1), 8), HW),
        (deals[0], beijing(cutoff, 23, 50), beijing(cutoff + timedelta(days=1), 0, 20), ISW),
        (deals[0], beijing(cutoff + timedelta(days=1), 0, 5), beijing(cutoff, 23, 55), HW),
        (deals[1], beijing(today - timedelta(days=5), 23, 45), beijing(today, 0, 5), ISW),
        (deals[1], beijing(last, 0, 15), beijing(last, 0, 30), OTHER),
    ):
        m = lf.closed_manifest(deal, 2_500, today, today, user, treatment=None, waste_code=code)
        m.picked_up_at, m.received_at, m.closed_at = pickup, receipt, receipt


def filings(today, gen, other, both_user) -> None:
    # generation filed: a long monthly series with gaps and a spike, a quarterly one
    month = today.replace(day=1)
    for n in range(1, 22):
        month = (month - timedelta(days=1)).replace(day=1)
        if n not in (4, 9):
            file(gen, ISW, month_key(month), 5_000 if n > 1 else 40_000)
        if n % 2:
            file(both_user, HW, month_key(month), 2_000)
    quarter = parse_period(f"{today.year - 1}-Q3")
    file(other, ISW, quarter.key, 9_000, kind="quarterly")
    file(other, ISW, month_key(today - timedelta(days=400)), 1_000)


def mixed_world(world) -> int:
    today = clock.today()
    gen, other = world.generator, world.other
    for user in (gen, other):
        user.enterprise.created_at = clock.now() - timedelta(days=700)
    lf.tier(other.enterprise, "quarterly", today - timedelta(days=300))
    rec1 = factories.bidder(codes=(ISW, HW))
    rec1.enterprise.licences[0].capacity_kg_per_year = 3_000
    factories.licence(rec1.enterprise, codes=[ISW], capacity_kg_per_year=2_000,
                      valid_from=today - timedelta(days=700),
                      valid_until=today - timedelta(days=200))  # fmt: skip
    rec2 = factories.bidder()
    both = factories.enterprise(("generator", "recycler"))
    both.created_at = clock.now() - timedelta(days=500)
    both_licence = factories.licence(both, codes=[ISW, HW])
    both_user = factories.user(both)
    factories.demand(both_user, waste_codes=[ISW, HW], licence_id=both_licence.id)
    db.session.flush()

    filings(today, gen, other, both_user)
    deals = [lf.deal(gen, rec1), lf.deal(gen, rec2), lf.deal(gen, both_user),
             lf.deal(both_user, rec1), lf.deal(other, rec1)]  # fmt: skip
    lic = rec2.enterprise.licences[0]  # expired since the deal
    lic.valid_from, lic.valid_until = today - timedelta(days=800), today - timedelta(days=20)
    kinds = ["utilise", "dispose", None]
    for n, back in enumerate((1, 2, 3, 9, 25, 40, 70, 100, 130, 200, 390, 420, 600)):
        deal = deals[n % len(deals)]
        code = HW if n % 3 == 0 else ISW
        m = lf.closed_manifest(deal, 1_000 + 137 * n, today - timedelta(days=back + 1),
                               today - timedelta(days=back), gen, treatment=kinds[n % 3] or
                               "utilise", waste_code=code)  # fmt: skip
        if kinds[n % 3] is None:
            m.treatment = m.treatment_method = None  # received, not yet utilised or disposed
        if n % 4 == 1:
            m.declared_kg = m.declared_kg * 12 // 10  # weighed light
    edges(today, deals, gen)
    # in transit: picked up long ago, yesterday, at midnight; one never picked up
    for back, hour in ((20, 12), (1, 9), (9, 0), (None, 0)):
        m = lf.closed_manifest(deals[back and 0 or 1], 700, today, today, gen,
                               status="in_transit")  # fmt: skip
        m.received_at = m.received_kg = m.closed_at = None
        m.picked_up_at = beijing(today - timedelta(days=back), hour) if back else None
    # lots: stale without a bid, stale with one, fresh, closed
    for days, bid in ((30, False), (40, True), (3, False)):
        lot = factories.steel_lot(gen if bid else other)
        lot.published_at = clock.now() - timedelta(days=days)
        if bid:
            factories.bid(rec1, lot)
    # another park's rows never count
    east = factories.user(factories.enterprise(("generator",), park_slug="east"))
    east.enterprise.created_at = clock.now() - timedelta(days=700)
    file(east, ISW, month_key(today - timedelta(days=60)), 10_000)
    factories.steel_lot(east).published_at = clock.now() - timedelta(days=60)
    db.session.commit()
    return world.admin.admin_park_id


def test_the_set_based_feed_yields_the_per_enterprise_inputs(world):
    park_id, today = mixed_world(world), clock.today()
    differ, empty = [], []
    for rule in RuleKey:
        new = feed.normalised(rule, feed.INPUTS[rule](park_id, today))
        old = feed.normalised(rule, feed_reference.INPUTS[rule](park_id, today))
        if new != old:
            differ.append((rule.value, new, old))
        if not new[0]:
            empty.append(rule.value)
    assert not differ, differ
    assert not empty, empty  # the world feeds every rule


def test_both_feeds_find_the_same_causes_and_every_rule_finds_some(world):
    park_id, today = mixed_world(world), clock.today()
    new = feed.causes(park_id, today, Settings())
    old = feed.causes(park_id, today, Settings(), inputs=feed_reference.INPUTS)

    def keyed(found):
        return {rule: sorted((c.enterprise_id, c.key, c.level, repr(sorted(c.facts.items())))
                             for c in causes) for rule, causes in found.items()}  # fmt: skip

    assert keyed(new) == keyed(old)
    assert [rule.value for rule, causes in new.items() if not causes] == []


def test_the_feed_counts_no_other_parks_rows(world):
    park_id, today = mixed_world(world), clock.today()
    east = factories.park("east").id
    lots = feed.INPUTS[RuleKey.LOT_NO_BID](east, today)[0]
    assert len(lots) == 1
    assert all(lot.enterprise_id != world.generator.enterprise_id for lot in lots)
    _generation = feed.INPUTS[RuleKey.STOCK_HELD](park_id, today)[0]
    assert {h.enterprise_id for h in _generation}.isdisjoint({lot.enterprise_id for lot in lots})


def test_beijing_days_and_months_in_sql_are_the_clocks(world):
    """The SQL day of a stored instant is `clock.business_day`, on either side of midnight."""
    from sqlalchemy import literal

    from market.db import UTCDateTime

    day = clock.today().replace(day=1) - timedelta(days=1)
    for at in (beijing(day, 0, 0), beijing(day, 0, 30), beijing(day, 7, 59), beijing(day, 8),
               beijing(day, 23, 59), beijing(day + timedelta(days=1), 0, 1)):  # fmt: skip
        stored = literal(at, UTCDateTime)
        got_day, got_month = db.session.execute(
            db.select(feed._day_sql(stored), feed._month_sql(stored))
        ).one()  # fmt: skip
        assert feed._as_date(got_day) == clock.business_day(at), at
        assert feed._as_date(got_month) == clock.business_day(at).replace(day=1), at
