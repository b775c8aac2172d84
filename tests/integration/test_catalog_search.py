"""The catalogue search puts the right code first for the names plants use."""

import csv
from pathlib import Path

import pytest

from market.catalog.services import search_codes

with open(
    Path(__file__).parent.parent / "data" / "catalog_search_cases.csv", encoding="utf-8"
) as _fh:
    CASES = list(csv.DictReader(_fh))


def test_there_are_at_least_thirty_cases_of_each_kind_together():
    assert len(CASES) >= 30
    kinds = {c["note"] for c in CASES}
    assert {"alias", "description", "general", "pinyin"} <= kinds


@pytest.mark.parametrize("case", CASES, ids=[c["query"] for c in CASES])
def test_common_plant_names_find_the_right_code_first(ctx, case):
    from tests.factories import park

    results = search_codes(case["query"], park("north").id, limit=5)
    assert results, f"nothing for {case['query']}"
    assert results[0][0].code == case["expected_code"], [
        (c.code, h.score, h.matched) for c, h in results
    ]
