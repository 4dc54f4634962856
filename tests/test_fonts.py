"""Traditional Chinese must look Traditional Chinese: the right face, never boxes, never Japanese shapes."""

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from kiosk import fonts

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


def test_every_ui_string_has_glyphs_in_the_font():
    from fontTools.ttLib import TTFont

    from kiosk.i18n import messages
    cmap = TTFont(str(fonts.font_files()["regular"]), lazy=True).getBestCmap()
    for lang in ("zh-TW", "en"):
        for key, value in messages(lang).by_key.items():
            text = "".join(value) if isinstance(value, tuple) else value  # a plural entry: every form
            missing = {c for c in text if ord(c) not in cmap and not c.isspace() and c not in "{}"}
            assert not missing, f"{lang} {key}: no glyph for {''.join(sorted(missing))!r} (would show as a box)"


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
