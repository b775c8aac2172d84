"""Pure parts of the catalogue search: normalising, code-like queries, ranking."""

from market.catalog.normalise import code_key, plain_pinyin
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


def test_traditional_characters_fold_to_simplified():
    assert normalise("廢機油") == "废机油"
    assert normalise("廢鉛酸電池") == "废铅酸电池"


def test_tone_marks_and_tone_numbers_fold_to_plain_pinyin():
    assert plain_pinyin(normalise("fèijīyóu")) == "feijiyou"
    assert plain_pinyin(normalise("fei4 ji1 you2")) == "feijiyou"
    assert plain_pinyin(normalise("lǜ")) == pinyin("绿")
    assert plain_pinyin("lu:4") == pinyin("绿")


def test_codes_and_shorthand_keep_their_digits():
    assert plain_pinyin("hw8") == "hw8"
    assert code_key("hw8") == code_key("HW08".lower()) == "hw08"
    assert code_key("sw-7") == "sw07"
    assert code_key(normalise("900 041 49")) == code_key("900-041-49") == "90004149"


def test_shorthand_and_codes_without_dashes_find_the_code():
    assert {h.code for h in _index().search("hw 8")} == {"900-214-08"}
    assert _index().search("90004149")[0].code == "900-041-49"
    assert _index().search("isw17", park_id=7)[0].code == "ISW-17-03-01"


def test_traditional_and_tone_marked_queries_find_the_code():
    assert _index().search("廢機油")[0].code == "900-214-08"
    assert _index().search("fèijīyóu")[0].code == "900-214-08"
    assert _index().search("fei4ji1you2")[0].code == "900-214-08"


def test_a_name_no_alias_spells_is_placed_by_its_words():
    index = Index.build(
        [
            Entry(1, "SW07", "SW07", "污泥"),
            Entry(2, "336-054-17", "HW17", "镀镍废槽液", "", ("镀镍废液", "含镍污泥")),
        ]
    )
    assert index.search("镀镍污泥")[0].code == "336-054-17"


def test_word_order_does_not_matter_for_a_name_of_the_same_characters():
    index = Index.build(
        [
            Entry(1, "900-026-32", "HW32", "氢氟酸蚀刻废液"),
            Entry(2, "398-051-22", "HW22", "废蚀刻液"),
        ]
    )
    assert index.search("蚀刻废液")[0].code == "398-051-22"


def test_everyday_words_are_tried_as_the_list_spells_them():
    index = Index.build([Entry(1, "900-402-06", "HW06", "废有机溶剂", "", ("废乙醇",))])
    assert index.search("废酒精")[0].code == "900-402-06"
