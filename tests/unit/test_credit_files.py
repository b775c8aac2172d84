"""Evidence files are judged by their content, never by their name or claimed type."""

import pytest

from market.credit.files import clean_name, sniff

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20
PDF = b"%PDF-1.7\n" + b"\x00" * 20


@pytest.mark.parametrize(
    "data, expected",
    [(PNG, ("image/png", "png")), (JPEG, ("image/jpeg", "jpg")), (PDF, ("application/pdf", "pdf"))],
)
def test_the_three_accepted_kinds_are_known_by_their_first_bytes(data, expected):
    assert sniff(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a" + b"\x00" * 10,
        b"<html><script>alert(1)</script>",
        b"PK\x03\x04 a zip or docx",
        PNG[:7],  # a truncated signature
        b" %PDF-1.7",  # not at the start
    ],
)
def test_anything_else_is_refused(data):
    assert sniff(data) is None


@pytest.mark.parametrize(
    "name, kept",
    [
        ("照片.jpg", "照片.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\证明.pdf", "证明.pdf"),
        ("a\x00b\nc.png", "abc.png"),
        ("", "file"),
        ("/", "file"),
    ],
)
def test_the_clients_name_is_kept_only_as_a_label(name, kept):
    assert clean_name(name) == kept


def test_a_long_name_keeps_its_end_and_extension():
    assert clean_name("x" * 300 + ".pdf").endswith(".pdf")
    assert len(clean_name("x" * 300 + ".pdf")) == 200
