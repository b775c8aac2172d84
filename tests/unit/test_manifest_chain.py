import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.manifests.chain import (
    GENESIS,
    CanonicalError,
    Finding,
    Link,
    Problem,
    append,
    canonical,
    link_hash,
    sealed,
    verify,
)

AT = datetime(2026, 11, 29, 4, 5, 6, tzinfo=UTC)


def events():
    return [
        {"kind": "create", "by": 7, "at": AT, "fields": {"code": "900-041-49"}},
        {"kind": "sign", "by": 7, "role": "generator", "declared_kg": 12_000, "at": AT},
        {"kind": "pickup", "by": 9, "plate": "鲁A12345", "driver": "张伟", "at": AT},
        {"kind": "receive", "by": 11, "received_kg": 11_870, "ratio": Decimal("0.9892")},
        {"kind": "close", "by": 11, "note": "称重差异在允许范围内", "at": AT},
    ]


def stored(contents=None) -> list[Link]:
    """A chain as a service would write it and a JSON column would give it back."""
    links, previous = [], None
    for content in contents or events():
        previous = append(previous, content)
        links.append(replace(previous, content=json.loads(json.dumps(previous.content))))
    return links


def problems(findings):
    return [(f.seq, f.problem) for f in findings]


def test_an_untouched_chain_verifies_and_its_head_is_the_last_hash():
    links = stored()
    assert [link.seq for link in links] == [1, 2, 3, 4, 5]
    assert links[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(links, links[1:], strict=False))
    assert verify(links) == []
    assert verify(links, head=links[-1].hash) == []
    assert verify([]) == []


def test_an_edited_row_is_named():
    links = stored()
    links[2] = replace(links[2], content={**links[2].content, "plate": "鲁A12346"})
    assert problems(verify(links)) == [(3, Problem.EDITED)]


def test_an_edited_row_whose_hash_was_recomputed_breaks_the_next_link():
    links = stored()
    forged = {**links[2].content, "plate": "鲁A12346"}
    links[2] = replace(
        links[2], content=forged, hash=link_hash(links[2].prev_hash, sealed(3, forged))
    )
    assert problems(verify(links)) == [(4, Problem.BROKEN_LINK)]


def test_a_deleted_middle_row_leaves_a_gap_and_a_broken_link():
    links = stored()
    del links[2]
    assert problems(verify(links)) == [(4, Problem.GAP), (4, Problem.BROKEN_LINK)]


def test_a_deleted_first_row_is_caught_at_the_start():
    assert problems(verify(stored()[1:])) == [(2, Problem.GAP), (2, Problem.BROKEN_LINK)]


def test_a_deleted_last_row_needs_the_recorded_head():
    links = stored()
    head = links[-1].hash
    assert verify(links[:-1]) == []  # a chain alone cannot know it was longer
    assert problems(verify(links[:-1], head=head)) == [(4, Problem.HEAD)]
    assert problems(verify([], head=head)) == [(None, Problem.HEAD)]


def test_rows_swapped_in_storage_order_are_out_of_order():
    links = stored()
    links[1], links[2] = links[2], links[1]
    assert problems(verify(links)) == [
        (3, Problem.GAP),
        (3, Problem.BROKEN_LINK),
        (2, Problem.OUT_OF_ORDER),
        (2, Problem.BROKEN_LINK),
        (4, Problem.GAP),
        (4, Problem.BROKEN_LINK),
    ]


def test_rows_renumbered_to_change_their_order_fail_their_own_hash():
    links = stored()
    second, third = links[1], links[2]
    links[1], links[2] = replace(third, seq=2), replace(second, seq=3)
    assert set(problems(verify(links))) == {
        (2, Problem.EDITED),
        (2, Problem.BROKEN_LINK),
        (3, Problem.EDITED),
        (3, Problem.BROKEN_LINK),
        (4, Problem.BROKEN_LINK),
    }


def test_an_inserted_row_with_a_valid_link_still_shows():
    links = stored()
    forged = append(links[1], {"kind": "pickup", "by": 13, "plate": "鲁B99999"})
    assert problems(verify([*links[:2], forged, *links[2:]])) == [
        (3, Problem.OUT_OF_ORDER),
        (3, Problem.BROKEN_LINK),
    ]


def test_an_inserted_row_with_the_rest_renumbered_fails_every_renumbered_hash():
    links = stored()
    forged = append(links[1], {"kind": "pickup", "by": 13, "plate": "鲁B99999"})
    renumbered = [replace(link, seq=link.seq + 1) for link in links[2:]]
    assert problems(verify([*links[:2], forged, *renumbered])) == [
        (4, Problem.EDITED),
        (4, Problem.BROKEN_LINK),
        (5, Problem.EDITED),
        (6, Problem.EDITED),
    ]


def test_a_stored_float_is_unreadable_not_a_crash():
    links = stored()
    links[3] = replace(links[3], content={**links[3].content, "received_kg": 11870.0})
    assert problems(verify(links)) == [(4, Problem.UNREADABLE)]


def test_a_malformed_previous_hash_is_reported():
    links = stored()
    links[1] = replace(links[1], prev_hash="not a hash")
    assert problems(verify(links)) == [(2, Problem.EDITED), (2, Problem.BROKEN_LINK)]


def test_findings_are_plain_values():
    assert Finding(3, Problem.EDITED) == Finding(3, "edited")


# Canonical form


def test_canonical_bytes_are_sorted_compact_utf8():
    content = {"该": "废矿物油", "b": [1, True, None], "a": {"z": 1, "y": Decimal("2.50")}}
    expected = '{"a":{"y":"2.5","z":1},"b":[1,true,null],"该":"废矿物油"}'.encode()
    assert canonical(content) == expected
    assert (
        link_hash(GENESIS, content)
        == hashlib.sha256(GENESIS.encode() + b"\n" + expected).hexdigest()
    )


@given(st.dictionaries(st.text(), st.integers() | st.text() | st.booleans(), max_size=8))
def test_key_order_never_changes_the_bytes(content):
    reversed_order = dict(reversed(list(content.items())))
    assert canonical(reversed_order) == canonical(content)
    assert json.loads(canonical(content)) == content


def test_text_is_kept_as_given_not_escaped_or_normalised():
    assert canonical({"n": "é"}) == '{"n":"é"}'.encode()
    assert canonical({"n": "e\u0301"}) != canonical({"n": "é"})  # different code points
    assert canonical({"n": 'a"\n'}) == b'{"n":"a\\"\\n"}'


def test_datetimes_are_utc_with_microseconds_whatever_the_zone():
    beijing = AT.astimezone(timezone(timedelta(hours=8)))
    assert canonical(beijing) == canonical(AT) == b'"2026-11-29T04:05:06.000000Z"'
    assert canonical(date(2026, 11, 29)) == b'"2026-11-29"'


def test_decimals_are_exact_and_ignore_trailing_zeros():
    assert canonical(Decimal("1.50")) == canonical(Decimal("1.5")) == b'"1.5"'
    assert canonical(Decimal("1E+2")) == b'"100"'
    assert canonical(Decimal("-0.00")) == b'"0"'
    long = "1.2345678901234567890123456789012345"  # past the default 28-digit context
    assert canonical(Decimal(long)) == f'"{long}"'.encode()
    assert canonical(10**30) == b"1000000000000000000000000000000"


def test_a_strenum_hashes_as_its_value():
    class Role(StrEnum):
        GENERATOR = "generator"

    assert canonical({"role": Role.GENERATOR}) == canonical({"role": "generator"})


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ({"w": 1.5}, "$.w"),
        ({"at": datetime(2026, 11, 29, 12, 0)}, "$.at"),
        ({"tags": {"a"}}, "$.tags"),
        ({1: "x"}, "$"),
        ({"list": [1, float("nan")]}, "$.list[1]"),
        ({"d": Decimal("NaN")}, "$.d"),
        ({"s": "\ud800"}, "$.s"),
    ],
)
def test_values_without_a_canonical_form_are_refused_with_their_place(content, where):
    with pytest.raises(CanonicalError) as caught:
        canonical(content)
    assert caught.value.path == where


def test_a_bad_previous_hash_is_refused_when_linking():
    with pytest.raises(ValueError, match="64 lowercase hex"):
        link_hash(GENESIS.upper().replace("0", "A"), {})
