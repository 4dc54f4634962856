"""Thai as HarfBuzz shapes it: every Thai word of the catalogue drawn by the kiosk's labels matches a reference
shaped by Pillow with libraqm; Thai sits on the same baseline as the Latin and Chinese beside it; Chinese and
Vietnamese keep their own face."""

import re

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat, features

from kiosk import fonts
from kiosk.i18n import messages
from kiosk.ui.text_provider import ShapedLabel, runs

SIZE = 40


@pytest.fixture(scope="module", autouse=True)
def window():
    """A GL context (Kivy makes a label's texture in it), the kiosk's fonts as Kivy's default, and text drawn
    at the size asked for: a running kiosk app (another test's) snaps sizes to its steps (kiosk/fonts.py)."""
    from kivy.core.text import LabelBase
    from kivy.core.window import Window

    from kiosk.ui import app

    app.register_fonts()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LabelBase, "resolve_font_name", app._kivy_resolve_font_name)
        yield Window


THAI_WORDS = sorted({word for text in messages("th").by_key.values() for piece in re.split("[\u200b]", str(text))
                     for word in re.findall("[\u0e00-\u0e7f]+", piece)})


def kivy_ink(text, bold=False):
    """The label's pixels as Kivy draws them (its text provider, its layout), as a white-on-black mask."""
    from kivy.core.text import Label as CoreLabel

    label = CoreLabel(text=text, font_size=SIZE, bold=bold)
    label.refresh()
    texture = label.texture
    image = Image.frombytes("RGBA", texture.size, texture.pixels)
    return image.getchannel("A")


def inked(mask):
    """How many pixels of a mask are clearly ink."""
    return sum(mask.histogram()[97:])


def reference_ink(text, size):
    """The same Thai word shaped by HarfBuzz (Pillow + libraqm) in one go, on the Chinese face's baseline."""
    primary = ImageFont.truetype(str(fonts.font_files()["regular"]), SIZE)
    thai = ImageFont.truetype(str(fonts.fallback_files()["thai"]["regular"]), SIZE,
                              layout_engine=ImageFont.Layout.RAQM)
    image = Image.new("L", size, 0)
    ImageDraw.Draw(image).text((0, primary.getmetrics()[0]), text, font=thai, fill=255, anchor="ls")
    return image


def test_kivy_draws_with_the_shaping_text_provider():
    from kivy.core.text import Label as CoreLabel
    from kivy.core.text.markup import MarkupLabel
    from kivy.uix.label import Label

    assert features.check("raqm"), "Pillow without libraqm cannot shape Thai"
    assert CoreLabel is ShapedLabel and issubclass(MarkupLabel, ShapedLabel)
    assert isinstance(Label(text="ก")._label, ShapedLabel)


def test_there_are_thai_words_to_compare():
    assert len(THAI_WORDS) > 100 and "ประชาสัมพันธ์" in THAI_WORDS


@pytest.mark.parametrize("chunk", range(4))
def test_every_thai_word_of_the_catalogue_is_drawn_as_harfbuzz_shapes_it(chunk):
    differ = []
    for word in THAI_WORDS[chunk::4]:
        drawn = kivy_ink(word)
        expected = reference_ink(word, drawn.size)
        wrong, ink = inked(ImageChops.difference(drawn, expected)), inked(expected)
        if wrong > ink * 0.02:
            differ.append(f"{word} ({wrong} of {ink} pixels)")
    assert differ == [], "Thai drawn unlike HarfBuzz's shaping: " + ", ".join(differ)


def bottom_of_ink(image, left, right):
    """The lowest row with ink between two columns."""
    box = image.crop((left, 0, right, image.height)).getbbox()
    return box[3]


def test_thai_sits_on_the_same_baseline_as_latin_and_chinese_beside_it():
    from kivy.core.text import Label as CoreLabel

    text = "Aกข號"
    label = CoreLabel(text=text, font_size=SIZE)
    label.refresh()
    ink = Image.frombytes("RGBA", label.texture.size, label.texture.pixels).getchannel("A")
    measure = label.get_extents
    a, thai = measure("A")[0], measure("Aกข")[0]
    latin, thai_bottom = bottom_of_ink(ink, 0, a), bottom_of_ink(ink, a, thai)
    assert abs(latin - thai_bottom) <= 1, (latin, thai_bottom)
    assert ink.crop((thai, 0, ink.width, ink.height)).getbbox(), "the Chinese character after the Thai is drawn"


def test_only_thai_leaves_the_chinese_face():
    assert runs("請到 3 號櫃台 ช่อง 3 Quầy số 3") == [(None, "請到 3 號櫃台 "), ("thai", "ช่อง"),
                                                    (None, " 3 Quầy số 3")]
    assert runs("") == [(None, "")]


def test_a_bold_thai_word_is_drawn_from_the_bold_thai_face():
    regular, bold = kivy_ink("ประเมิน"), kivy_ink("ประเมิน", bold=True)
    assert ImageStat.Stat(bold).sum[0] > ImageStat.Stat(regular).sum[0] * 1.15


def test_kiosk_bench_text_prints_each_language_beside_the_sdl2_baseline():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "bench", "text", "--lang", "th", "--lang", "vi"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines() if line.startswith(("th ", "vi "))}
    assert set(rows) == {"th", "vi"}
    assert all(row[-1].endswith("×") and float(row[2]) > 0 and float(row[3]) > 0 for row in rows.values()), rows
