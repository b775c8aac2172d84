"""Noto Sans SC for the manifest PDF: Regular and Bold as small static TTFs, made fast.

The font is Noto Sans SC (OFL) from the justmytype-intl-cjk wheel, a 17 MB variable font
whose default weight is Thin. Pinning a weight costs seconds, so it is done once per machine:
`build_cache` pins Regular and Bold of a pre-subset (GB 2312, ASCII and Latin-1, CJK and
full-width punctuation, and every character of the waste catalogue and the Chinese
translations) into `instance/fonts/`, keyed by the font package and fontTools versions, the
recipe and the character set. It runs lazily on the first PDF, under a file lock, or once from
`flask manifests fonts`.

Each PDF then gets fonts holding only the glyphs its text uses, cut from the cached static
fonts (loaded once per process) without re-encoding a glyph. Text with a character the cache
lacks but the font has (鎔, 堃, … outside GB 2312) takes the old path: subset the variable font
to the text and pin both weights, about 2 s, so nothing prints as a box.

fpdf2 cannot share a parsed font between documents (its output subsets `TTFFont.ttfont` in
place and closes it), so the per-process cache holds these sources instead.
"""

import fcntl
import hashlib
import io
import os
import struct
import tempfile
import threading
import unicodedata
from copy import deepcopy
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import fontTools
from fontTools import subset
from fontTools.fontBuilder import FontBuilder
from fontTools.ttLib import TTFont, newTable
from fontTools.varLib import instancer

from market.config import ROOT

FONT = files("justmytype_intl_cjk") / "fonts/ofl/notosanssc/NotoSansSC[wght].ttf"
WEIGHTS = {"": 400, "B": 700}  # fpdf style -> wght; the variable font's default is Thin (100)
CACHE = ROOT / "instance" / "fonts"
RECIPE = 1  # raise when the build below changes, so every machine builds anew
_COPIED = ("head", "hhea", "maxp", "OS/2", "name", "post", "gasp", "prep")
_EXTRA_RANGES = (
    (0x20, 0x7F),  # ASCII
    (0xA0, 0x180),  # Latin-1 and Latin Extended-A
    (0x2000, 0x2070),  # general punctuation: — … ‰ ‹ ›
    (0x3000, 0x3040),  # CJK symbols and punctuation
    (0xFF00, 0xFFF0),  # full-width and half-width forms
)
_lock = threading.Lock()


def gb2312() -> set[str]:
    """Every character of GB 2312: 6,763 hanzi and 682 symbols."""
    found = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return found


def _app_text() -> str:
    """The waste catalogue and the Chinese translations: text every manifest may show."""
    parts = [p.read_text("utf-8") for p in sorted((ROOT / "seeds" / "catalog").glob("*.csv"))]
    po = ROOT / "market" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    if po.exists():
        parts.append(po.read_text("utf-8"))
    return "".join(parts)


@cache
def charset() -> str:
    """The characters the cached fonts hold, sorted (no control or format characters)."""
    chars = gb2312() | set(_app_text())
    chars |= {chr(c) for low, high in _EXTRA_RANGES for c in range(low, high)}
    return "".join(sorted(c for c in chars if not unicodedata.category(c).startswith("C")))


def cache_key(chars: str) -> str:
    recipe = [version("justmytype-intl-cjk"), fontTools.version, str(RECIPE), chars]
    return hashlib.sha256("\n".join(recipe).encode()).hexdigest()[:16]


def cache_paths(folder: Path, key: str) -> dict[str, Path]:
    return {style: folder / f"NotoSansSC-{w}-{key}.ttf" for style, w in WEIGHTS.items()}


def pinned(text: str) -> dict[str, TTFont]:
    """Static Regular and Bold of the variable font, holding just `text`'s glyphs."""
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.layout_features = []  # fpdf2 sets text glyph by glyph: no shaping tables needed,
    options.drop_tables += ["GSUB", "GPOS", "GDEF"]  # and pinning them costs seconds
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    small = io.BytesIO()
    with TTFont(str(FONT), lazy=True) as variable:
        subsetter.subset(variable)
        variable.save(small)  # reloading the small subset is much quicker than a deep copy
    fonts = {}
    for style, weight in WEIGHTS.items():
        font = TTFont(io.BytesIO(small.getvalue()))
        instancer.instantiateVariableFont(
            font, {"wght": weight}, inplace=True, static=True, updateFontNames=True
        )
        fonts[style] = font
    return fonts


def build_cache(folder: Path | None = None, chars: str | None = None) -> dict[str, Path]:
    """The cached static fonts, built if missing. Safe when several processes race."""
    folder = CACHE if folder is None else folder
    chars = charset() if chars is None else chars
    paths = cache_paths(folder, cache_key(chars))
    if all(p.exists() for p in paths.values()):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second worker waits here, then finds the files
        if not all(p.exists() for p in paths.values()):
            for style, font in pinned(chars).items():
                _save_atomically(font, paths[style])
            _remove_stale(folder, keep=paths.values())
    return paths


def _save_atomically(font: TTFont, path: Path) -> None:
    handle, temp = tempfile.mkstemp(prefix=".building-", suffix=".ttf", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            font.save(out)
        os.chmod(temp, 0o644)  # mkstemp makes it private; the app may run as another user
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _remove_stale(folder: Path, keep) -> None:
    for old in set(folder.glob("NotoSansSC-*.ttf")) - set(keep):
        old.unlink(missing_ok=True)


class _Source:
    """One cached static weight, parsed once; cuts per-document fonts from it."""

    def __init__(self, path: Path):
        self.font = TTFont(str(path))
        self.cmap = self.font.getBestCmap()
        self.glyphs = self.font["glyf"].glyphs  # still encoded: copied as they are
        self.metrics = self.font["hmtx"].metrics
        self.order = {name: i for i, name in enumerate(self.font.getGlyphOrder())}
        self.tables = {tag: self.font[tag] for tag in _COPIED}  # all read now: threads only
        self.font.close()  # read them afterwards, and the file may be replaced meanwhile

    def cut(self, codepoints: set[int]) -> TTFont:
        """A font with just these characters; glyph bounds kept from the cached font."""
        cmap = {c: self.cmap[c] for c in codepoints if c in self.cmap}
        names = [".notdef"] + sorted(set(cmap.values()) - {".notdef"}, key=self.order.get)
        font = TTFont(recalcBBoxes=False, recalcTimestamp=False)
        font.setGlyphOrder(names)
        for tag in _COPIED:
            font[tag] = deepcopy(self.tables[tag])
        font["loca"], font["glyf"] = newTable("loca"), newTable("glyf")
        font["glyf"].glyphs = {n: self.glyphs[n] for n in names}
        font["glyf"].glyphOrder = names
        _set_bounds(font["head"], [self.glyphs[n] for n in names])
        builder = FontBuilder(font=font)
        builder.setupCharacterMap(cmap)
        builder.setupHorizontalMetrics({n: self.metrics[n] for n in names})
        return font


def _set_bounds(head, glyphs: list) -> None:
    """The font's box from its glyphs' (fpdf2 prints it as /FontBBox, and a viewer may rasterise
    differently when it is far too large)."""
    boxes = [_box(g) for g in glyphs]
    boxes = [b for b in boxes if b is not None]
    if boxes:
        head.xMin, head.yMin = min(b[0] for b in boxes), min(b[1] for b in boxes)
        head.xMax, head.yMax = max(b[2] for b in boxes), max(b[3] for b in boxes)


def fit_bounds(font) -> None:
    """Set an fpdf2 font's box to the glyphs it will embed and keep fpdf2 from recomputing it.

    `font` is an fpdf2 TTFFont after the layout. fpdf2 would otherwise unpack and re-encode
    every embedded glyph on output to recompute the boxes, which costs more than the rest of
    the PDF; the glyph boxes are already right, only the font's box needs the used glyphs.
    """
    ttfont = font.ttfont
    glyf, order = ttfont["glyf"], ttfont.getGlyphOrder()
    names = set(font.subset.get_all_glyph_names()) | set(order[:4])  # + the subsetter's
    _set_bounds(ttfont["head"], [glyf.glyphs[n] for n in names])  # .notdef, .null, CR, space
    ttfont.recalcBBoxes = False


def _box(glyph) -> tuple[int, int, int, int] | None:
    data = getattr(glyph, "data", b"")  # encoded: contours, then xMin yMin xMax yMax
    if len(data) >= 10:
        return struct.unpack(">4h", data[2:10])
    if getattr(glyph, "numberOfContours", 0):
        return glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax
    return None


def _composite_free(source: _Source) -> _Source:
    """Composite glyphs would need their components renumbered: drop their characters."""
    for code, name in list(source.cmap.items()):
        data = getattr(source.glyphs[name], "data", b"")  # encoded: contour count comes first
        if int.from_bytes(data[:2] or b"\0\0", "big", signed=True) < 0:
            del source.cmap[code]
    return source


_sources: dict[str, _Source] | None = None


def sources() -> dict[str, _Source]:
    """The cached static fonts of this machine, built if need be, parsed once per process."""
    global _sources
    with _lock:
        if _sources is None:
            paths = build_cache()
            _sources = {style: _composite_free(_Source(p)) for style, p in paths.items()}
        return _sources


@cache
def _variable_cmap() -> frozenset[int]:
    with TTFont(str(FONT), lazy=True) as variable:
        return frozenset(variable.getBestCmap())


def covered(text: str) -> bool:
    """True when the cache holds every character of `text` that the font has at all."""
    wanted = {ord(c) for c in text}
    missing = {c for source in sources().values() for c in wanted - source.cmap.keys()}
    return not (missing and missing & _variable_cmap())


def fonts_for(text: str, folder: Path) -> dict[str, Path]:
    """Regular and Bold font files in `folder` holding the glyphs `text` needs."""
    codepoints = {ord(c) for c in text} | {ord(" ")}
    if covered(text):
        fonts = {style: source.cut(codepoints) for style, source in sources().items()}
    else:
        fonts = pinned(text + " ")
    paths = {}
    for style, font in fonts.items():
        paths[style] = folder / f"NotoSansSC-{WEIGHTS[style]}.ttf"
        font.save(str(paths[style]))
    return paths
