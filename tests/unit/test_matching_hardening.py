"""Issue 7, matching: one snapshot per ranking under concurrent updates, one boundary
rule and one tie rule for the index and the plain loop, and exclusion counts that
count every open counterpart."""

import math
import sys
import threading
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.matching import index as index_module
from market.matching.index import DemandIndex
from market.matching.live import LiveIndex
from market.matching.reference import failing, rank_demand, ranking, road_km
from market.matching.supply_index import SupplyIndex
from market.matching.types import CodeKey, Demand, Settings, Supply
from tests.unit.test_matching_properties import demands as demand_strategy
from tests.unit.test_matching_properties import scenarios

TODAY = date(2026, 11, 24)
SITE = (31.23, 121.47)
STEEL = CodeKey.parse("ISW-17-01-01")
EARTH_KM = 6371.0088
DEFAULT = Settings()


def destination(km: float, bearing_deg: float, origin=SITE) -> tuple[float, float]:
    """The point km along a great circle from origin (spherical, the haversine's Earth)."""
    lat1, lon1, b, d = *map(math.radians, origin), math.radians(bearing_deg), km / EARTH_KM
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b))
    lon2 = lon1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2)
    )
    return math.degrees(lat2), math.degrees(lon2)


def recycler(i, at, radius, enterprise=None, code=STEEL, remaining=50_000):
    return Demand(i, enterprise or 100 + i, *at, (code,), remaining, float(radius))


def lot(at=SITE, code=STEEL, quantity=10_000, enterprise=1):
    return Supply(1, enterprise, *at, code, quantity)


# ---------------------------------------------------------------- 1. one snapshot


def test_rankings_see_every_open_listing_once_while_another_thread_updates():
    """Every recycler reaches the lot, so each ranking must list all of them exactly once,
    however the writer's updates and rebuilds interleave with it."""
    n = 400
    ds = [recycler(i, destination(1 + i % 37, i * 7.0), 100) for i in range(1, n + 1)]
    live = LiveIndex.for_demand(ds, min_delta=25, rebuild_share=0.0)
    stop, seen = threading.Event(), []

    def writer():
        step = 0
        while not stop.is_set():
            step += 1
            changed = [replace(d, remaining_kg=40_000 + step) for d in ds[step % n :][:7]]
            live.apply(changed, [])

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(150):
            ids = [m.id for m in live.rank(lot(), Settings(), TODAY, k=n).matches]
            seen.append((len(ids), len(set(ids))))
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(old)
    assert live.rebuilds > 0
    assert Counter(seen) == Counter({(n, n): 150})


# ---------------------------------------------------------------- 2. the boundary

BEARINGS = [0, 45, 90, 135, 180, 225, 270, 315, 30, 200]
RADII = [1, 7, 50, 123, 301, 777, 1500, 2999]


@pytest.mark.parametrize("radius", RADII)
def test_a_recycler_exactly_on_its_radius_is_inside_for_both_paths(radius):
    ds = [recycler(i, destination(radius, b), radius) for i, b in enumerate(BEARINGS, 1)]
    beyond = [
        recycler(50 + i, destination(radius + 0.002, b), radius) for i, b in enumerate(BEARINGS, 1)
    ]
    everyone = ds + beyond
    fast = DemandIndex(everyone).rank(lot(), Settings(), TODAY, k=100)
    plain = ranking(lot(), everyone, Settings(), TODAY, k=100)
    inside = sorted(d.id for d in ds)
    assert sorted(m.id for m in fast.matches) == inside
    assert sorted(m.id for m in plain.matches) == inside
    assert fast.excluded == plain.excluded == {"radius": len(beyond)}


@pytest.mark.parametrize("bearing", BEARINGS)
def test_a_lot_exactly_on_a_recyclers_radius_is_inside_from_the_supply_side(bearing):
    for radius in RADII:
        supplies = [lot(at=destination(radius, bearing))]
        mine = recycler(9, SITE, radius)
        found = SupplyIndex(supplies).rank(mine, Settings(), TODAY, k=5)
        assert [m.id for m in found.matches] == [1]
        assert failing(supplies[0], mine, road_km(supplies[0], mine, Settings()), TODAY) is None


def test_the_boundary_is_the_same_with_a_road_factor():
    factor = Settings(road_factor=1.3)
    for radius in RADII:
        ds = [recycler(i, destination(radius / 1.3, b), radius) for i, b in enumerate(BEARINGS, 1)]
        fast = DemandIndex(ds).rank(lot(), factor, TODAY, k=100)
        plain = rank_demand(lot(), ds, factor, TODAY, k=100)
        assert [m.id for m in fast.matches] == [m.id for m in plain] and len(plain) == len(ds)


# ---------------------------------------------------------------- 3. ties


@pytest.mark.parametrize("bearing", BEARINGS)
def test_scores_equal_in_exact_arithmetic_tie_and_the_nearer_goes_first(bearing):
    """10 km of a 20 km radius and 20 km of 40 km: the same distance part, 0.5."""
    near = recycler(8, destination(10, bearing), 20)
    far = recycler(3, destination(20, bearing + 90), 40)
    fast = DemandIndex([near, far]).rank(lot(), Settings(), TODAY, k=2).matches
    plain = rank_demand(lot(), [near, far], Settings(), TODAY, k=2)
    assert fast[0].score == fast[1].score == plain[0].score == plain[1].score
    assert [m.id for m in fast] == [m.id for m in plain] == [8, 3]


def test_equal_scores_at_equal_distance_go_to_the_lower_id():
    a = recycler(9, destination(12, 10), 24)
    b = recycler(4, destination(12, 250), 24)
    for index in (DemandIndex([a, b]), LiveIndex.for_demand([a, b])):
        assert [m.id for m in index.rank(lot(), Settings(), TODAY, k=2).matches] == [4, 9]


# ---------------------------------------------------------------- 4. exclusion counts

MANY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@MANY
@given(scenarios())
def test_the_index_counts_every_exclusion_the_plain_loop_counts(scenario):
    supply, ds = scenario
    fast = DemandIndex(ds).rank(supply, Settings(), TODAY, k=10)
    plain = ranking(supply, ds, Settings(), TODAY, k=10)
    assert fast.excluded == plain.excluded
    assert (
        (fast.candidates, fast.eligible)
        == (plain.candidates, plain.eligible)
        == (
            len(ds),
            len(ds) - sum(plain.excluded.values()),
        )
    )
    for name, ids in fast.examples.items():
        assert set(ids) <= set(plain.examples[name])


@MANY
@given(scenarios(), st.data())
def test_a_live_index_counts_like_a_fresh_one_whatever_its_history(scenario, data):
    supply, ds = scenario
    live = LiveIndex.for_demand(ds, min_delta=3, rebuild_share=0.0)
    items = {d.id: d for d in ds}
    for step in range(data.draw(st.integers(1, 5))):
        changed = [data.draw(demand_strategy(i)) for i in data.draw(st.sets(st.integers(1, 30)))]
        ids = {d.id for d in changed}
        gone = sorted(set(items) - ids) or [0]
        removed = data.draw(st.lists(st.sampled_from(gone), max_size=3, unique=True))
        live.apply(changed, removed)
        items.update({d.id: d for d in changed})
        for i in removed:
            items.pop(i, None)
        got = live.rank(supply, Settings(), TODAY, k=10)
        want = ranking(supply, list(items.values()), Settings(), TODAY, k=10)
        assert (got.excluded, got.candidates) == (want.excluded, want.candidates), step
        assert [m.id for m in got.matches] == [m.id for m in want.matches]


@MANY
@given(scenarios(), st.integers(2, 12))
def test_the_supply_index_counts_every_open_lot_by_its_first_failing_filter(scenario, n):
    supply, ds = scenario
    mine = ds[0]
    lots = [
        replace(supply, id=i, lat=d.lat, lon=d.lon, enterprise_id=d.enterprise_id, code=c)
        for i, (d, c) in enumerate(((d, c) for d in ds * 2 for c in (d.codes[0], supply.code)), 1)
    ][:n]
    got = SupplyIndex(lots).rank(mine, DEFAULT, TODAY, k=10)
    # From the recycler's side the credit filter looks at the lot owner's grade.
    fails = [
        failing(s, replace(mine, grade=s.grade), road_km(s, mine, DEFAULT), TODAY) for s in lots
    ]
    want = Counter(f for f in fails if f is not None)
    assert got.excluded == dict(want)
    assert (got.candidates, got.eligible) == (len(lots), fails.count(None))


@MANY
@given(scenarios(), st.sampled_from([1, 2]))
def test_recyclers_with_more_codes_than_a_table_row_rank_like_the_plain_loop(scenario, width):
    """A recycler's codes in a category sit in a table row of WIDTH cells; one with more
    codes than that takes the slower path, which must give the same ranking."""
    supply, ds = scenario
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(index_module, "WIDTH", width)
        fast = DemandIndex(ds).rank(supply, Settings(), TODAY, k=10)
    plain = ranking(supply, ds, Settings(), TODAY, k=10)
    assert fast.matches == rank_demand(supply, ds, Settings(), TODAY, k=10)
    assert fast.excluded == plain.excluded
    assert fast.eligible == plain.eligible
