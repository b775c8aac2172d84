"""Pure parts of the catalogue search: normalising, code-like queries, ranking."""

from market.catalog.search import CODE_LIKE, Entry, Index, normalise, pinyin
from market.listings.forms import split_codes


def test_normalise_folds_full_width_and_drops_spaces_and_punctuation():
    assert normalise("  废 机油（ＨＷ０８） ") == "废机油hw08"


def test_pinyin_is_toneless_and_joined():
    assert pinyin("废机油") == "feijiyou"


def test_code_like_queries_are_recognised():
    for q in ("hw08", "900-041-49", "isw-17-01", "sw17", "900"):
        assert CODE_LIKE.match(q), q
    for q in ("废机油", "feijiyou"):
        assert not CODE_LIKE.match(q)


def test_split_codes_accepts_chinese_and_latin_separators_and_labels():
    assert split_codes("900-214-08 废机油, ISW-17-01-01，HW49；900-041-49\n") == [
        "900-214-08",
        "ISW-17-01-01",
        "HW49",
        "900-041-49",
    ]


def _index():
    return Index.build(
        [
            Entry(1, "900-214-08", "HW08", "废发动机油", "车辆维修产生的废发动机油", ("废机油",)),
            Entry(2, "900-041-49", "HW49", "含有或沾染毒性废物的废弃包装物", "", ("含油抹布",)),
            Entry(3, "ISW-17-03-01", "ISW-17", "废铜屑", "机加工铜屑", ("铜屑",), park_id=7),
        ]
    )


def test_an_exact_alias_ranks_first_with_full_score():
    hits = _index().search("废机油")
    assert hits[0].code == "900-214-08" and hits[0].score == 100


def test_a_category_query_lists_its_codes():
    assert [h.code for h in _index().search("HW49")] == ["900-041-49"]


def test_pinyin_and_small_typos_still_find_the_code():
    assert _index().search("feijiyou")[0].code == "900-214-08"
    assert _index().search("feijiyuo")[0].code == "900-214-08"


def test_park_catalogue_codes_are_hidden_from_other_parks():
    assert all(h.code != "ISW-17-03-01" for h in _index().search("废铜屑", park_id=8))
    assert _index().search("废铜屑", park_id=7)[0].code == "ISW-17-03-01"


def test_empty_query_finds_nothing():
    assert _index().search("  ") == []
