"""The catalogue search puts the right code first for the names plants use."""

import csv
from pathlib import Path

import pytest

from market.catalog.services import search_codes

DATA = Path(__file__).parent.parent / "data"


def _cases(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


CASES = _cases("catalog_search_cases.csv")
# Everyday names that no alias spells (a hold-out), and the same names typed otherwise:
# traditional characters, pinyin with tone marks or numbers, shorthand, codes without dashes.
EVERYDAY = _cases("catalog_search_everyday.csv")
VARIANTS = _cases("catalog_search_variants.csv")
# A second hold-out written after the ranking was tuned on the first and measured once;
# its misses stay marked so that the figure in the README can be checked.
FRESH = _cases("catalog_search_fresh.csv")


def test_there_are_at_least_thirty_cases_of_each_kind_together():
    assert len(CASES) >= 30
    kinds = {c["note"] for c in CASES}
    assert {"alias", "description", "general", "pinyin"} <= kinds


def test_the_hold_out_and_the_variants_cover_every_kind():
    assert len(EVERYDAY) >= 40 and len(FRESH) >= 30
    kinds = {c["note"] for c in VARIANTS}
    assert {"traditional", "tone-marks", "tone-numbers", "shorthand", "code-fragment"} <= kinds


@pytest.mark.parametrize("case", CASES, ids=[c["query"] for c in CASES])
def test_common_plant_names_find_the_right_code_first(ctx, case):
    from tests.factories import park

    results = search_codes(case["query"], park("north").id, limit=5)
    assert results, f"nothing for {case['query']}"
    assert results[0][0].code == case["expected_code"], [
        (c.code, h.score, h.matched) for c, h in results
    ]


def _marked(case: dict[str, str]):
    if "known-miss" in case["note"]:
        reason = "a known miss of the hold-out; see README"
        return pytest.param(
            case, id=case["query"], marks=pytest.mark.xfail(strict=True, reason=reason)
        )
    return pytest.param(case, id=case["query"])


@pytest.mark.parametrize("case", [_marked(c) for c in EVERYDAY + VARIANTS + FRESH])
def test_everyday_and_variant_names_land_in_the_right_category_first(ctx, case):
    from tests.factories import park

    results = search_codes(case["query"], park("north").id, limit=5)
    assert results, f"nothing for {case['query']}"
    top = results[0][0]
    found = [(c.code, h.score, h.matched) for c, h in results]
    assert top.category_code == case["expected_category"], found
    if case["expected_code"]:
        assert top.code == case["expected_code"], found
