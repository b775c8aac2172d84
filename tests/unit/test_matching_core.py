"""The pure matcher: hand-made scenarios that fix the order, and the filter reasons."""

import subprocess
import sys
from datetime import date, timedelta

from market.matching.index import DemandIndex
from market.matching.live import LiveIndex
from market.matching.supply_index import SupplyIndex
from market.matching.types import CodeKey, Demand, Filter, Settings, Supply, category_of

TODAY = date(2026, 11, 24)
SITE = (39.79, 116.51)  # the lot's site
HW = CodeKey.parse("900-214-08", hazardous=True)
STEEL = CodeKey.parse("ISW-17-01-01")


def north_of(km: float) -> tuple[float, float]:
    return SITE[0] + km / 111.195, SITE[1]


def demand(
    i,
    km=5.0,
    codes=(STEEL,),
    remaining=100_000,
    radius=50,
    grade=None,
    enterprise=None,
    licence=None,
    valid=(TODAY - timedelta(1), TODAY + timedelta(300)),
):
    lat, lon = north_of(km)
    return Demand(
        id=i,
        enterprise_id=enterprise or 100 + i,
        lat=lat,
        lon=lon,
        codes=tuple(codes),
        remaining_kg=remaining,
        radius_km=radius,
        licence_codes=frozenset(licence or ()),
        licence_from=valid[0] if licence else None,
        licence_until=valid[1] if licence else None,
        has_licence=licence is not None,
        grade=grade,
    )


def lot(code=STEEL, quantity=20_000, enterprise=1):
    return Supply(
        id=1, enterprise_id=enterprise, lat=SITE[0], lon=SITE[1], code=code, quantity_kg=quantity
    )


DEFAULTS = Settings()


def ranked(demands, supply=None, settings=DEFAULTS):
    return DemandIndex(demands).rank(supply or lot(), settings, TODAY, k=10)


def test_categories_fold_park_codes_onto_national_classes():
    assert category_of("ISW-17-03-01") == "SW17" == category_of("SW17")
    assert category_of("900-214-08") == "HW08"


def test_closer_better_graded_exact_code_ranks_first():
    result = ranked(
        [
            demand(1, km=30),
            demand(2, km=5),
            demand(3, km=5, grade="A"),
            demand(4, km=5, codes=[CodeKey.parse("ISW-17-01-02")]),  # same subcategory only
            demand(5, km=5, codes=[CodeKey.parse("ISW-17-08-01")]),  # same category only
        ]
    )
    assert [m.id for m in result.matches] == [3, 2, 4, 1, 5]
    top = result.matches[0]
    assert (top.code, top.credit, top.capacity) == (1.0, 1.0, 1.0)
    assert abs(top.distance_km - 5) < 0.05 and abs(top.distance - 0.9) < 0.002
    assert [m.code for m in result.matches] == [1.0, 1.0, 0.7, 1.0, 0.4]


def test_every_hard_filter_removes_and_says_why():
    result = ranked(
        [
            demand(1, enterprise=1),  # the generator's own enterprise
            demand(2, km=70, radius=60),  # beyond its own 60 km radius
            demand(3, remaining=0),
            demand(4, grade="D"),
            demand(
                5, licence=["ISW-17-01-01"], valid=(TODAY - timedelta(400), TODAY - timedelta(1))
            ),
            demand(6, radius=100),  # passes; its radius sets how far the band reaches
        ]
    )
    assert [m.id for m in result.matches] == [6]
    assert result.excluded == {
        Filter.SAME_ENTERPRISE: 1,
        Filter.RADIUS: 1,
        Filter.CAPACITY: 1,
        Filter.CREDIT: 1,
        Filter.LICENCE: 1,
    }
    assert result.examples[Filter.CAPACITY] == [3]
    assert result.examples[Filter.RADIUS] == [2]  # a near miss the search returned
    assert result.candidates == 6 and result.eligible == 1


def test_hazardous_lots_need_the_exact_licensed_code():
    other_hw08 = CodeKey.parse("900-217-08", hazardous=True)
    result = ranked(
        [
            demand(1, codes=[HW], licence=[HW.code]),
            demand(2, codes=[other_hw08], licence=[other_hw08.code]),  # same category, other code
            demand(3, codes=[HW], licence=["900-041-49"]),  # licence does not cover it
            demand(4, codes=[HW]),  # no licence at all
        ],
        supply=lot(code=HW),
    )
    assert [m.id for m in result.matches] == [1]
    assert result.excluded[Filter.CODE] == 3


def test_capacity_part_is_capped_at_one_and_scales_below():
    result = ranked([demand(1, remaining=5_000), demand(2, remaining=50_000)])
    assert [(m.id, m.capacity) for m in result.matches] == [(2, 1.0), (1, 0.25)]


def test_weights_and_grade_values_change_the_order():
    base = [demand(1, km=2, grade="C"), demand(2, km=30, grade="A")]
    assert ranked(base).matches[0].id == 1
    heavy_credit = Settings(weights=Settings().weights.__class__(0.1, 0.1, 0.1, 0.7))
    assert ranked(base, settings=heavy_credit).matches[0].id == 2


def test_ties_break_by_distance_then_id():
    result = ranked([demand(9, km=5), demand(3, km=5), demand(7, km=5)])
    assert [m.id for m in result.matches] == [3, 7, 9]


def test_road_factor_shrinks_the_reach():
    d = [demand(1, km=40, radius=50)]
    assert ranked(d).matches
    assert not ranked(d, settings=Settings(road_factor=1.4)).matches


def test_supply_side_ranks_lots_for_a_recycler():
    supplies = [
        Supply(i, 10 + i, *north_of(km), STEEL, q)
        for i, km, q in [(1, 3, 10_000), (2, 1, 10_000), (3, 60, 10_000), (4, 2, 10_000)]
    ]
    supplies.append(Supply(5, 99, *north_of(1), HW, 1_000))
    recycler = demand(50, km=0, codes=[STEEL], radius=50)
    result = SupplyIndex(supplies).rank(recycler, Settings(), TODAY, k=10)
    assert [m.id for m in result.matches] == [2, 4, 1]
    assert result.excluded == {Filter.CODE: 1, Filter.RADIUS: 1}  # every open lot is counted


def test_live_index_sees_opened_changed_and_closed_listings():
    live = LiveIndex.for_demand([demand(1, km=10), demand(2, km=20)], min_delta=2)
    live.apply([demand(3, km=1)], [])
    assert [m.id for m in live.rank(lot(), Settings(), TODAY).matches] == [3, 1, 2]
    live.apply([demand(1, km=30)], [2])
    assert [m.id for m in live.rank(lot(), Settings(), TODAY).matches] == [3, 1]
    live.apply([demand(4), demand(5)], [])  # past the delta limit: rebuilt
    assert live.rebuilds == 1 and len(live) == 4


def test_live_index_knows_each_enterprises_listings_through_changes():
    """owned_by answers a recycler's own open demands (the lot page's bid check) from the
    index: opened, changed, closed and rebuilt, one enterprise's never another's."""
    live = LiveIndex.for_demand(
        [demand(1, enterprise=7), demand(2, enterprise=7), demand(3, enterprise=8)], min_delta=2
    )
    assert [d.id for d in live.owned_by(7)] == [1, 2] and live.owned_by(9) == []
    live.apply([demand(4, enterprise=7), demand(2, km=9, enterprise=7)], [1])
    assert [d.id for d in live.owned_by(7)] == [2, 4]
    assert live.owned_by(7)[0].lat == north_of(9)[0]  # the changed listing, not the old one
    live.apply([], [3])
    assert live.owned_by(8) == [] and 8 not in live._owned
    live.apply([demand(5, enterprise=8), demand(6, enterprise=8)], [2])  # rebuilt
    assert live.rebuilds == 1
    assert [d.id for d in live.owned_by(7)] == [4] and [d.id for d in live.owned_by(8)] == [5, 6]


def test_the_core_imports_no_flask_and_no_database():
    code = (
        "import sys, market.matching.index, market.matching.live, "
        "market.matching.supply_index, market.matching.scoring, market.matching.types, "
        "market.matching.reference, market.matching.rows, market.matching.strips; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'flask_sqlalchemy', 'sqlalchemy')]; print(bad); assert not bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
