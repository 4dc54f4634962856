"""The printer emulator: ESC/POS bytes become the paper a resident would get.

The streams are built by hand here, byte by byte, in the formats the printer
manual gives, so these tests do not lean on the kiosk's own encoder.  Every
assertion is about the picture: its width, where the ink is, what the QR code
says, how many cuts.
"""

import random
import time

import pytest
from pyzbar.pyzbar import decode

from hardware.printer.emulator import render, render_to_png
from kiosk.fonts import font_files

URL = "https://erlin.example/q?t=A012"
OFFICE = "二林戶政"


@pytest.fixture(scope="module")
def font():
    return str(font_files()["regular"])


# -- ESC/POS, by hand ------------------------------------------------------------------------

def init():
    return b"\x1b@"


def align(n):
    return bytes((0x1B, 0x61, n))


def size(width, height):
    return bytes((0x1D, 0x21, (width - 1) << 4 | (height - 1)))


def bold(on):
    return bytes((0x1B, 0x45, 1 if on else 0))


def kanji(text, encoding="cp950"):
    return b"\x1c&" + text.encode(encoding) + b"\x1c."


def feed(n):
    return bytes((0x1B, 0x64, n))


def partial_cut():
    return b"\x1dVB\x00"


def qr_function(fn, params):
    size = len(params) + 2  # cn and fn count in pL pH
    return b"\x1d(k" + bytes((size % 256, size // 256, 49, fn)) + params


def qr(data, module=6, error=49):
    return (qr_function(65, b"\x32\x00") + qr_function(67, bytes((module,))) + qr_function(69, bytes((error,)))
            + qr_function(80, b"\x30" + data) + qr_function(81, b"\x30"))


def raster(rows):
    """GS v 0 for rows given as strings of '#' (black) and '.' (white), each a multiple of 8 long."""
    width = len(rows[0]) // 8
    bits = b"".join(int(row.replace("#", "1").replace(".", "0"), 2).to_bytes(width, "big") for row in rows)
    return b"\x1dv0\x00" + bytes((width % 256, width // 256, len(rows) % 256, len(rows) // 256)) + bits


def ticket():
    return (init() + align(1) + size(2, 2) + bold(True) + kanji(OFFICE) + b"\n" + bold(False)
            + size(4, 4) + b"A012\n" + size(1, 1) + b"2025-03-14 09:30\n"
            + qr(URL.encode()) + b"\n" + feed(3) + partial_cut())


# -- reading the paper ---------------------------------------------------------------------

def ink(image, box=None):
    """Return the black pixels of *image* (or of the box in it) as a set of (x, y)."""
    left, top, right, bottom = box or (0, 0, *image.size)
    pixels = image.convert("L").load()
    return {(x, y) for y in range(top, bottom) for x in range(left, right) if pixels[x, y] < 128}


def bands(image):
    """Return (top, bottom) of each run of rows that have ink, top to bottom."""
    rows = sorted({y for _, y in ink(image)})
    runs = []
    for y in rows:
        if runs and runs[-1][1] == y:
            runs[-1][1] = y + 1
        else:
            runs.append([y, y + 1])
    return [tuple(run) for run in runs]


def columns(image):
    xs = [x for x, _ in ink(image)]
    return min(xs), max(xs) + 1


# -- the ticket ------------------------------------------------------------------------------

def test_a_ticket_prints_its_office_number_date_qr_and_one_cut(font, tmp_path):
    warnings = []
    image = render_to_png(ticket(), tmp_path / "ticket.png", font_path=font, warnings=warnings)
    assert (tmp_path / "ticket.png").is_file()
    assert image.width == 384
    assert [code.data.decode() for code in decode(image)] == [URL]
    assert image.info["cuts"] == 1
    assert warnings == [] and image.info["warnings"] == []
    office, number, date = bands(image)[:3]
    assert number[1] - number[0] > 2 * (date[1] - date[0])  # A012 is printed 4x as tall as the date


def test_the_office_name_is_four_different_glyphs_not_boxes(font):
    image = render(ticket(), font_path=font)
    left = (384 - 4 * 48) // 2  # four 2x2 characters of 48 dots, centred
    cells = [frozenset((x - left - 48 * i, y) for x, y in ink(image, (left + 48 * i, 0, left + 48 * (i + 1), 48)))
             for i in range(4)]
    assert all(len(cell) > 50 for cell in cells)
    assert len(set(cells)) == 4


def test_big5_gb18030_and_utf8_print_the_same_characters(font):
    line = "二林戶政事務所 A012\n"
    big5 = render(init() + kanji(line), font_path=font)
    gb = render(init() + kanji(line, "gb18030"), font_path=font, encoding="gb18030")
    utf8 = render(init() + line.encode("utf-8"), font_path=font, encoding="utf-8")
    selected = render(init() + b"\x1c(C\x02\x00\x30\x02" + line.encode("utf-8"), font_path=font)
    assert ink(big5) and ink(big5) == ink(gb) == ink(utf8) == ink(selected)


def test_a_line_has_16_chinese_or_32_ascii_characters_at_384_dots_and_48_at_576(font):
    def lines(data, width=384):
        image = render(init() + data + b"\n", width_dots=width, font_path=font)
        assert image.width == width
        return len(bands(image))

    assert lines(b"H" * 32) == 1 and lines(b"H" * 33) == 2
    assert lines(kanji("林" * 16)) == 1 and lines(kanji("林" * 17)) == 2
    assert lines(b"H" * 48, 576) == 1 and lines(b"H" * 49, 576) == 2
    assert lines(size(2, 1) + b"H" * 16) == 1 and lines(size(2, 1) + b"H" * 17) == 2


def test_alignment_moves_the_ink(font):
    spans = {n: columns(render(init() + align(n) + b"ABC\n", font_path=font)) for n in (0, 1, 2)}
    assert spans[0][0] < 12
    assert abs(sum(spans[1]) / 2 - 192) <= 6
    assert spans[2][1] > 384 - 12
    assert spans[0][0] < spans[1][0] < spans[2][0]
    assert columns(render(init() + align(ord("2")) + b"ABC\n", font_path=font)) == spans[2]


def test_size_and_bold_make_more_ink(font):
    plain = ink(render(init() + b"H\n", font_path=font))
    bigger = render(init() + size(2, 3) + b"H\n", font_path=font)
    left, right = columns(bigger)
    top, bottom = bands(bigger)[0]
    assert right - left > 1.5 * (max(x for x, _ in plain) - min(x for x, _ in plain) + 1)
    assert bottom - top > 2.5 * (max(y for _, y in plain) - min(y for _, y in plain) + 1)
    assert len(ink(render(init() + bold(True) + b"H\n", font_path=font))) > 1.2 * len(plain)


def test_feeds_and_empty_lines_lengthen_the_paper(font):
    short = render(init() + b"A\n", font_path=font).height
    assert render(init() + b"A\n\n", font_path=font).height > short
    assert render(init() + b"A\n" + feed(3), font_path=font).height >= short + 3 * 24
    long = render(init() + b"\n" * 100 + feed(255) + b"A\n", font_path=font)
    assert long.height > 100 * 24 + 255 * 24
    assert len(bands(long)) == 1 and bands(long)[0][0] > long.height - 40  # white paper, then the A
    blank = render(b"\n" * 100, font_path=font)
    assert blank.height >= 100 * 24 and not ink(blank)


# -- QR and raster -----------------------------------------------------------------------------

@pytest.mark.parametrize("error", [48, 49, 50, 51])
def test_a_native_qr_decodes_at_every_error_correction_level(font, error):
    image = render(init() + align(1) + qr(URL.encode(), module=4, error=error) + b"\n", font_path=font)
    assert [code.data.decode() for code in decode(image)] == [URL]


def test_a_larger_module_size_makes_a_larger_qr(font):
    small, large = (columns(render(init() + qr(b"A012", module=m), font_path=font)) for m in (3, 6))
    assert large[1] - large[0] == 2 * (small[1] - small[0])
    assert small[0] == 4 * 3 and large[0] == 4 * 6  # the quiet zone is 4 modules


CHECKERBOARD = ["#." * 8 if y % 2 == 0 else ".#" * 8 for y in range(16)]


@pytest.mark.parametrize("alignment, left", [(0, 0), (1, (384 - 16) // 2), (2, 384 - 16)])
def test_a_raster_image_is_printed_dot_for_dot_at_its_alignment(font, alignment, left):
    image = render(init() + align(alignment) + b"\n" + raster(CHECKERBOARD) + b"\n", font_path=font)
    top = min(y for _, y in ink(image))
    assert top > 0  # below the empty line
    expected = {(left + x, top + y)
                for y, row in enumerate(CHECKERBOARD) for x, dot in enumerate(row) if dot == "#"}
    assert ink(image) == expected


def test_a_picture_sent_in_bands_prints_as_one_picture(font):
    """The encoder sends a drawn line's blank rows as a narrow band of their own: the bands meet without a gap."""
    blank, line = ["." * 8] * 5, ["#.#.#.#." * 2, ".#.#.#.#" * 2, "################"]
    whole = render(init() + raster(["." * 16] * 5 + line + ["." * 16] * 3) + b"x\n", font_path=font)
    in_bands = render(init() + raster(blank) + raster(line) + raster(["." * 8] * 3) + b"x\n", font_path=font)
    assert in_bands.size == whole.size and ink(in_bands) == ink(whole)
    assert min(y for _, y in ink(whole)) == 5  # the blank rows above the line are paper, not nothing


def test_a_double_size_raster_doubles_every_dot(font):
    rows = ["#......." + "........"] * 2
    image = render(init() + raster(rows)[:3] + b"\x03" + raster(rows)[4:], font_path=font)
    assert ink(image) == {(x, y) for x in (0, 1) for y in range(4)}


# -- cuts, status requests and the unexpected --------------------------------------------------

def test_every_kind_of_cut_is_counted_and_takes_only_its_own_bytes(font):
    data = init() + b"\x1dV\x00A\n\x1dV1B\n\x1dVA\x10C\n" + partial_cut()
    image = render(data, font_path=font)
    assert image.info["cuts"] == 4
    assert image.info["warnings"] == []
    text_lines = [band for band in bands(image) if band[1] - band[0] > 4]  # cut marks are 2 dots tall
    assert len(text_lines) == 3


def test_a_status_request_prints_nothing(font):
    warnings = []
    image = render(init() + b"\x10\x04\x41\x10\x04\x01\n", font_path=font, warnings=warnings)
    assert not ink(image) and warnings == []


def test_unknown_commands_are_reported_and_the_rest_still_prints(font):
    warnings = []
    data = init() + b"\x1bz" + b"Hi\n" + b"\x1b3\x20" + b"\x1d(L\x02\x00\x30\x32" + b"\x07"
    image = render(data, font_path=font, warnings=warnings)
    assert len(bands(image)) == 1
    assert any("1B 7A" in w and "unknown" in w for w in warnings)
    assert any("1B 33" in w for w in warnings) and any("1D 28 4C" in w for w in warnings)
    assert any("0x07" in w for w in warnings)
    assert image.info["warnings"] == warnings


def test_text_without_a_final_line_feed_is_not_printed_but_reported(font):
    image = render(init() + b"A012", font_path=font)
    assert not ink(image)
    assert any("never printed" in w for w in image.info["warnings"])


@pytest.mark.parametrize("tail", [b"\x1b", b"\x1ba", b"\x1d!", b"\x1d(k\x05", b"\x1d(k\x06\x00\x31\x50\x30AB",
                                  b"\x1dv0\x00\x02\x00\x10\x00\xff\xff", b"\x1dV", b"\x1dVB", b"\x10\x04",
                                  b"\x1c(C\x02\x00\x30", b"\x1c&\xa4", b"\x1b*\x00\x10\x00\xff"])
def test_a_command_cut_short_by_the_end_of_the_data_is_reported(font, tail):
    warnings = []
    image = render(init() + b"Hello\n" + tail, font_path=font, warnings=warnings)
    assert len(bands(image)) == 1
    assert any("ends inside" in w for w in warnings)


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_neither_raise_nor_hang(font, seed):
    rng = random.Random(seed)
    pieces = [b"\x1b", b"\x1d", b"\x1c", b"\x10", b"\n", b"(k", b"v0", b"\x1c&", b"!", b"V", b"a"]
    data = b"".join(rng.choice(pieces) if rng.random() < 0.3 else bytes((rng.getrandbits(8),))
                    for _ in range(4000))
    for encoding in ("big5", "gb18030", "utf-8"):
        start = time.monotonic()
        image = render(data, font_path=font, encoding=encoding)
        assert time.monotonic() - start < 10
        assert image.width == 384 and image.height >= 1
        assert len(image.info["warnings"]) <= 101


def test_without_a_font_it_still_draws(font):
    image = render(init() + b"A012\n" + kanji(OFFICE) + b"\n")
    assert len(bands(image)) == 2


def test_an_unknown_encoding_is_refused():
    with pytest.raises(ValueError, match="shift_jis"):
        render(b"", encoding="shift_jis")
