"""The manifest PDF's fonts: cut from the per-machine cache, or pinned per PDF for characters
the cache lacks; the cache is built once, under a lock, and replaced atomically."""

import io
import threading
from dataclasses import replace

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from market.manifests import pdf_font
from market.manifests.printing import Party, render_pdf
from tests.unit.test_manifest_pdf import fonts_of, make_sheet

RARE = "鎔"  # U+9394: in Noto Sans SC, not in GB 2312 nor in the app's text


def embedded(data: bytes) -> dict[str, TTFont]:
    """The fonts embedded in a PDF (FontFile2), by base name without the subset tag."""
    found = {}
    for font in fonts_of(data):
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        stream = descriptor["/FontFile2"].get_object().get_data()
        found[str(font["/BaseFont"]).split("+")[1]] = TTFont(io.BytesIO(stream))
    return found


def has_outline(font: TTFont, char: str) -> bool:
    name = font.getBestCmap().get(ord(char))
    return name is not None and font["glyf"][name].numberOfContours > 0


@pytest.fixture()
def pinned_calls(monkeypatch) -> list[str]:
    """Records each per-PDF pinning of the variable font (the slow path)."""
    calls, real = [], pdf_font.pinned

    def spy(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(pdf_font, "pinned", spy)
    return calls


def test_the_cache_holds_gb2312_the_catalogue_and_the_translations():
    chars = pdf_font.charset()
    assert len(pdf_font.gb2312()) == 7445 and pdf_font.gb2312() <= set(chars)
    assert {"废", "鑫", "（", "Ａ", "\u3000", "—", "é"} <= set(chars)
    assert "\n" not in chars and RARE not in chars


def test_a_usual_sheet_is_cut_from_the_cache(pinned_calls):
    data = render_pdf(make_sheet("zh_CN"))
    assert pinned_calls == []
    fonts = embedded(data)
    assert sorted(fonts) == ["NotoSansSC", "NotoSansSCBold"]
    assert has_outline(fonts["NotoSansSC"], "废") and has_outline(fonts["NotoSansSCBold"], "联")
    assert fonts["NotoSansSCBold"]["OS/2"].usWeightClass == 700
    assert "冲压边角料" in PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_a_character_outside_the_cache_is_pinned_for_that_pdf_and_prints(pinned_calls):
    name = f"{RARE}鑫金属回收有限公司"
    firm = Party("generator", "产生单位（移出人）", name, "91110115MA0000009X")
    data = render_pdf(replace(make_sheet("zh_CN"), generator=firm))
    assert len(pinned_calls) == 1 and RARE in pinned_calls[0]
    assert has_outline(embedded(data)["NotoSansSC"], RARE)  # a glyph, not the empty box
    assert name in PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_characters_the_font_lacks_do_not_force_the_slow_path():
    assert pdf_font.covered("废钢 ISW-17\n")
    assert not pdf_font.covered(RARE)
    assert pdf_font.covered("𠮷")  # not in Noto Sans SC at all: pinning would not help


def test_a_cut_font_holds_just_its_characters_with_the_cached_outlines():
    source = pdf_font.sources()[""]
    cut = source.cut({ord(c) for c in "废钢 A"})
    assert sorted(cut.getBestCmap()) == sorted(ord(c) for c in " A废钢")
    name = source.cmap[ord("废")]
    assert cut["glyf"].glyphs[name].data == source.glyphs[name].data
    assert cut["hmtx"][name] == source.metrics[name]


def test_the_cache_is_built_once_even_when_two_workers_race(tmp_path, pinned_calls):
    chars = "废钢ABC 0123"
    results = []
    workers = [
        threading.Thread(target=lambda: results.append(pdf_font.build_cache(tmp_path, chars)))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(pinned_calls) == 1 and results[0] == results[1]
    assert sorted(p.name for p in tmp_path.glob("*.ttf")) == sorted(
        p.name for p in results[0].values()
    )
    for style, path in results[0].items():
        font = TTFont(str(path))
        assert "fvar" not in font and set(font.getBestCmap()) == {ord(c) for c in chars}
        assert font["OS/2"].usWeightClass == pdf_font.WEIGHTS[style]
    assert not list(tmp_path.glob(".building-*"))  # written aside, then renamed


def test_a_new_recipe_replaces_the_old_files(tmp_path, monkeypatch):
    old = pdf_font.build_cache(tmp_path, "AB")
    monkeypatch.setattr(pdf_font, "RECIPE", pdf_font.RECIPE + 1)
    new = pdf_font.build_cache(tmp_path, "AB")
    assert set(new.values()) != set(old.values())
    assert set(tmp_path.glob("*.ttf")) == set(new.values())


def test_flask_manifests_fonts_builds_the_cache(tmp_path, monkeypatch):
    from flask import Flask

    from market.cli import register_cli

    monkeypatch.setattr(pdf_font, "CACHE", tmp_path / "fonts")
    monkeypatch.setattr(pdf_font, "charset", lambda: "AB废")
    runner = Flask(__name__)
    register_cli(runner)
    result = runner.test_cli_runner().invoke(args=["manifests", "fonts"])
    assert result.exit_code == 0 and "built in" in result.output
    assert len(list((tmp_path / "fonts").glob("NotoSansSC-*.ttf"))) == 2
    again = runner.test_cli_runner().invoke(args=["manifests", "fonts", "--quiet"])
    assert again.exit_code == 0 and again.output == ""
