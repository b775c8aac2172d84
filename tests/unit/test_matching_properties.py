"""Property-based tests: hard filters always hold, the score is monotone in each
part, and the vectorised index ranks exactly as the plain loop does."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.geo import haversine_km
from market.matching.index import DemandIndex
from market.matching.reference import failing, rank_demand
from market.matching.types import CodeKey, Demand, Settings, Supply

TODAY = date(2026, 11, 24)
CODES = [
    CodeKey.parse(c)
    for c in ("ISW-17-01-01", "ISW-17-01-02", "ISW-17-03-01", "SW17", "ISW-07-01-01")
]
CODES += [CodeKey.parse(c, hazardous=True) for c in ("900-214-08", "900-217-08", "900-041-49")]
GRADES = st.sampled_from(["A", "B", "C", "D", None])
# Sites on a 0.01° grid around a park, so equal distances (ties) really happen.
LAT = st.integers(-40, 40).map(lambda i: 39.79 + i / 100)
LON = st.integers(-40, 40).map(lambda i: 116.51 + i / 100)


@st.composite
def demands(draw, i):
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True))
    licensed = draw(st.booleans())
    lic_codes = frozenset(c.code for c in codes if draw(st.booleans())) if licensed else frozenset()
    start = TODAY - timedelta(days=draw(st.integers(-5, 400)))
    return Demand(
        id=i,
        enterprise_id=draw(st.integers(1, 6)),
        lat=draw(LAT),
        lon=draw(LON),
        codes=tuple(codes),
        remaining_kg=draw(st.sampled_from([0, 500, 5_000, 20_000, 90_000])),
        radius_km=float(draw(st.sampled_from([5, 10, 20, 30, 60]))),
        licence_codes=lic_codes,
        licence_from=start if licensed else None,
        licence_until=start + timedelta(days=draw(st.integers(0, 800))) if licensed else None,
        has_licence=licensed,
        grade=draw(GRADES),
    )


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 25))
    ds = [draw(demands(i)) for i in range(1, n + 1)]
    lot = Supply(
        id=1,
        enterprise_id=draw(st.integers(1, 6)),
        lat=draw(LAT),
        lon=draw(LON),
        code=draw(st.sampled_from(CODES)),
        quantity_kg=draw(st.sampled_from([1_000, 10_000, 40_000])),
    )
    return lot, ds


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(scenarios())
def test_no_match_ever_breaks_a_hard_filter(scenario):
    lot, ds = scenario
    by_id = {d.id: d for d in ds}
    for m in DemandIndex(ds).rank(lot, Settings(), TODAY, k=len(ds)).matches:
        d = by_id[m.id]
        km = haversine_km(lot.lat, lot.lon, d.lat, d.lon)
        assert failing(lot, d, km - 1e-6, TODAY) is None
        assert d.enterprise_id != lot.enterprise_id and d.grade != "D"
        assert km <= d.radius_km + 1e-6 and d.remaining_kg > 0


@FAST
@given(scenarios())
def test_the_index_ranks_as_the_plain_loop(scenario):
    lot, ds = scenario
    fast = DemandIndex(ds).rank(lot, Settings(), TODAY, k=10).matches
    slow = rank_demand(lot, ds, Settings(), TODAY, k=10)
    assert [round(m.score, 6) for m in fast] == [round(m.score, 6) for m in slow]
    assert [m.id for m in fast] == [m.id for m in slow]


def _position(ds, lot, target_id):
    ids = [m.id for m in DemandIndex(ds).rank(lot, Settings(), TODAY, k=len(ds)).matches]
    return ids.index(target_id) if target_id in ids else None


IMPROVEMENTS = {
    "closer": lambda d, lot: replace(d, lat=(d.lat + lot.lat) / 2, lon=(d.lon + lot.lon) / 2),
    "more capacity": lambda d, lot: replace(d, remaining_kg=d.remaining_kg * 3),
    "better grade": lambda d, lot: replace(
        d, grade={"B": "A", "C": "B", None: "A"}.get(d.grade, d.grade)
    ),
}


@FAST
@given(scenarios(), st.sampled_from(sorted(IMPROVEMENTS)))
def test_improving_one_part_never_ranks_lower(scenario, how):
    lot, ds = scenario
    before = DemandIndex(ds).rank(lot, Settings(), TODAY, k=len(ds)).matches
    if not before:
        return
    target = before[-1].id  # the weakest match has the most room to move up
    improved = [IMPROVEMENTS[how](d, lot) if d.id == target else d for d in ds]
    was, now = _position(ds, lot, target), _position(improved, lot, target)
    assert now is not None and now <= was


@FAST
@given(st.lists(scenarios(), min_size=1, max_size=4))
def test_batched_ranking_equals_one_at_a_time(scenario_list):
    ds = scenario_list[0][1]
    lots = [replace(lot, id=i) for i, (lot, _ds) in enumerate(scenario_list, start=1)]
    index = DemandIndex(ds)
    one_by_one = [index.rank(lot, Settings(), TODAY, k=10) for lot in lots]
    batched = index.rank_many(lots, Settings(), TODAY, k=10)
    assert [[m.id for m in r.matches] for r in batched] == [
        [m.id for m in r.matches] for r in one_by_one
    ]
    assert [r.excluded for r in batched] == [r.excluded for r in one_by_one]
