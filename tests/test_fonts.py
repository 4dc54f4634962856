"""Traditional Chinese must look Traditional Chinese: the right face, never boxes, never Japanese shapes; and
every language's letters have a face that draws them."""

import re
import unicodedata

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from kiosk import fonts
from kiosk.settings import LANGUAGES

THAI = re.compile("[\u0e00-\u0e7f]")

#: Characters whose Japanese and Traditional Chinese glyphs differ visibly.
DIFFERING = "戶所意度"


def render(font, text, size=96):
    image = Image.new("L", (size * len(text) + 20, size + 40), 0)
    ImageDraw.Draw(image).text((10, 10), text, font=font, fill=255)
    return image


def difference(a, b):
    """Fraction of pixels that differ between two renders."""
    histogram = ImageChops.difference(a, b).histogram()
    return sum(histogram[65:]) / (a.width * a.height)  # pixels differing by more than a quarter


@pytest.fixture(scope="module")
def collection():
    path = fonts.find_collection("regular")
    if path is None:
        pytest.fail("fonts-noto-cjk is not installed: make setup installs it (.ci/debian-packages)")
    return path


def face_index(collection, family):
    from fontTools.ttLib import TTCollection
    with TTCollection(str(collection), lazy=True) as ttc:
        return [f["name"].getDebugName(1) for f in ttc.fonts].index(family)


def test_built_font_is_the_traditional_chinese_face(collection):
    ours = ImageFont.truetype(str(fonts.font_files()["regular"]), 96)
    tc = ImageFont.truetype(str(collection), 96, index=face_index(collection, "Noto Sans CJK TC"))
    jp = ImageFont.truetype(str(collection), 96, index=face_index(collection, "Noto Sans CJK JP"))
    for char in DIFFERING:
        assert difference(render(ours, char), render(tc, char)) == 0, f"{char} differs from the TC face"
        assert difference(render(ours, char), render(jp, char)) > 0.002, f"{char} has the Japanese shape"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_ui_string_has_glyphs_in_the_face_that_draws_it(lang):
    """Thai in the Thai face, everything else in the Chinese one (kiosk/ui/text_provider.py's rule)."""
    from fontTools.ttLib import TTFont

    from kiosk.i18n import ZWSP, messages
    chinese = TTFont(str(fonts.font_files()["regular"]), lazy=True).getBestCmap()
    thai = TTFont(str(fonts.fallback_files()["thai"]["regular"]), lazy=True).getBestCmap()
    for key, value in messages(lang).by_key.items():
        text = "".join(value) if isinstance(value, tuple) else value  # a plural entry: every form
        missing = {c for c in text if ord(c) not in (thai if THAI.match(c) else chinese)
                   and not c.isspace() and c not in "{}" + ZWSP}
        assert not missing, f"{lang} {key}: no glyph for {''.join(sorted(missing))!r} (would show as a box)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_messages_are_composed_so_each_vietnamese_letter_is_one_drawn_glyph(lang):
    """Noto Sans CJK TC has every Vietnamese letter precomposed (ệ, ữ): a letter written as e + two combining
    marks would be drawn with marks placed by a face that has no rules for stacking them."""
    from kiosk.i18n import messages
    decomposed = [key for key, value in messages(lang).by_key.items()
                  for text in (value if isinstance(value, tuple) else (value,))
                  if unicodedata.normalize("NFC", text) != text]
    assert decomposed == [], f"{lang}: not in NFC: {decomposed}"


def test_the_chinese_face_has_every_vietnamese_letter_and_the_thai_face_every_thai_one():
    from fontTools.ttLib import TTFont

    chinese = TTFont(str(fonts.font_files()["regular"]), lazy=True).getBestCmap()
    vietnamese = "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹơưđăâêô"
    assert [c for c in vietnamese + vietnamese.upper() if ord(c) not in chinese] == []
    thai = TTFont(str(fonts.fallback_files()["thai"]["bold"]), lazy=True).getBestCmap()
    assert [hex(c) for c in range(0x0E01, 0x0E3B) if unicodedata.name(chr(c), "") and c not in thai] == []


def test_build_is_reproducible(tmp_path):
    first = fonts.build_fonts(tmp_path / "a")
    second = fonts.build_fonts(tmp_path / "b")
    for style in fonts.STYLES:
        assert first[style].read_bytes() == second[style].read_bytes()


def test_missing_collection_says_which_package_to_install(tmp_path):
    with pytest.raises(fonts.FontError, match="fonts-noto-cjk"):
        fonts.build_fonts(tmp_path / "out", search=[str(tmp_path)])


def test_licence_ships_with_the_font():
    licence = (fonts.PACKAGE_FONT_DIR / "LICENSE-OFL.txt").read_text()
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Noto Sans CJK TC" in licence
