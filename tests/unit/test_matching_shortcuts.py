"""Issue 7 item 6, the shortcuts of DemandIndex's speed work, each against the plain loop:
the radius decided from the chord (haversine only near the radius), only a pool bounded
by the chord scored exactly, and lots ranked together in chunks by rank_many."""

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.matching import index as index_module
from market.matching.index import CHORD_MARGIN_KM, DemandIndex
from market.matching.reference import rank_demand, ranking
from market.matching.scoring import EXAMPLES
from market.matching.types import Filter, Settings, Weights
from tests.unit.test_matching_hardening import BEARINGS, TODAY, destination, lot, recycler
from tests.unit.test_matching_properties import CODES, LAT, LON
from tests.unit.test_matching_properties import demands as demand_strategy

SOME = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SETTINGS = st.sampled_from(
    [
        Settings(),
        Settings(road_factor=1.3),
        Settings(weights=Weights(code=0.1, distance=0.7, capacity=0.1, credit=0.1)),
        Settings(weights=Weights(code=0.5, distance=0.0, capacity=0.25, credit=0.25)),
        Settings(weights=Weights(code=0.3, distance=-0.2, capacity=0.5, credit=0.4)),
    ]
)


@st.composite
def crowds(draw):
    """More recyclers than 4 k, so the pool is cut by the bound; sites on a 0.01° grid
    around one park, so equal distances and equal scores are common."""
    n = draw(st.integers(30, 90))
    ds = [draw(demand_strategy(i)) for i in range(1, n + 1)]
    lots = [
        replace(
            lot(),
            id=j,
            enterprise_id=draw(st.integers(1, 6)),
            lat=draw(LAT),
            lon=draw(LON),
            code=draw(st.sampled_from(CODES)),
            quantity_kg=draw(st.sampled_from([1_000, 10_000, 40_000])),
        )
        for j in range(1, draw(st.integers(1, 6)) + 1)
    ]
    return lots, ds


def _same_as_the_plain_loop(got, supply, ds, rules, k):
    assert got.matches == rank_demand(supply, ds, rules, TODAY, k)  # every field, exactly
    plain = ranking(supply, ds, rules, TODAY, k)
    assert got.excluded == plain.excluded
    assert (got.candidates, got.eligible) == (plain.candidates, plain.eligible)
    for name, ids in got.examples.items():
        if name in (Filter.CODE, Filter.RADIUS):  # examples from within reach
            assert set(ids) <= set(plain.examples[name]) and len(ids) <= EXAMPLES
        else:  # every one of them is within reach: the lowest ids
            assert ids == sorted(plain.examples[name])[:EXAMPLES]


@SOME
@given(crowds(), SETTINGS, st.integers(1, 6))
def test_the_bounded_pool_ranks_exactly_as_the_plain_loop(crowd, rules, k):
    lots, ds = crowd
    index = DemandIndex(ds)
    for supply in lots:
        _same_as_the_plain_loop(index.rank(supply, rules, TODAY, k), supply, ds, rules, k)


@SOME
@given(crowds(), SETTINGS, st.integers(1, 12), st.integers(1, 60))
def test_lots_ranked_together_in_any_chunks_rank_as_one_at_a_time(crowd, rules, k, chunk):
    lots, ds = crowd
    index = DemandIndex(ds)
    one_by_one = [index.rank(supply, rules, TODAY, k) for supply in lots]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(index_module, "CHUNK_PAIRS", chunk)  # down to one lot a chunk
        batched = index.rank_many(lots, rules, TODAY, k)
    assert batched == one_by_one  # matches, counts, examples, candidates, eligible
    for supply, got in zip(lots, batched, strict=True):
        _same_as_the_plain_loop(got, supply, ds, rules, k)


OFFSETS_M = (-2.6, -2.0, -1.9, -0.6, -0.5, -0.4, 0.0, 0.4, 0.5, 0.6, 1.9, 2.0, 2.1, 2.6)


@pytest.mark.parametrize("radius", [0.5, 3.0, 47.0, 300.0, 2500.0])
@pytest.mark.parametrize("road_factor", [1.0, 1.37])
def test_recyclers_near_their_radius_are_in_or_out_as_for_the_plain_loop(radius, road_factor):
    """Either side of the chord's margin (CHORD_MARGIN_KM) and of the half metre where
    whole metres round, in every direction."""
    assert CHORD_MARGIN_KM == 0.002  # the offsets straddle it
    rules = Settings(road_factor=road_factor)
    ds = [
        recycler(i, destination((radius + m / 1000) / road_factor, b), radius)
        for i, (m, b) in enumerate(((m, b) for m in OFFSETS_M for b in BEARINGS), 1)
    ]
    got = DemandIndex(ds).rank(lot(), rules, TODAY, k=len(ds))
    want = rank_demand(lot(), ds, rules, TODAY, k=len(ds))
    assert got.matches == want
    assert 0 < len(want) < len(ds)
    assert got.excluded == ranking(lot(), ds, rules, TODAY, k=len(ds)).excluded


def test_lots_of_several_categories_and_kinds_in_one_call():
    ds = [
        replace(recycler(i, destination(1 + i % 23, i * 11.0), 40), codes=(CODES[i % len(CODES)],))
        for i in range(1, 120)
    ]
    ds = [
        replace(
            d,
            licence_codes=frozenset(c.code for c in d.codes),
            has_licence=True,
            licence_from=TODAY - timedelta(days=30),
            licence_until=TODAY + timedelta(days=30 * (i % 3) - 20),  # some expired
        )
        if i % 2
        else d
        for i, d in enumerate(ds)
    ]
    lots = [replace(lot(), id=j, code=CODES[j % len(CODES)]) for j in range(1, 25)]
    index = DemandIndex(ds)
    assert index.rank_many(lots, Settings(), TODAY, 3) == [
        index.rank(s, Settings(), TODAY, 3) for s in lots
    ]
    for supply in lots:
        _same_as_the_plain_loop(index.rank(supply, Settings(), TODAY, 3), supply, ds, Settings(), 3)
