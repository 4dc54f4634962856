"""The ESC/POS encoder, byte for byte: no port, no printer."""

import pytest
from PIL import Image

from hardware.printer.escpos import (QR, Cut, Feed, PrinterProfile, Raster, Text, chars_per_line, encode,
                                     text_columns, unencodable)
from kiosk.fonts import font_files

INIT = b"\x1b\x40"
OFFICE = "二林戶政事務所"
VIETNAMESE = "Nguyễn Văn An"


@pytest.fixture(scope="module")
def font():
    return str(font_files()["regular"])


def images(data):
    """Return (bytes_per_row, rows, bitmap) for each picture, and the bytes around them.

    A picture is a run of ``GS v 0`` commands with nothing between them (the encoder sends blank rows as a
    narrow band of their own, and each band only as wide as its ink): stitched here, each row padded with blank
    bytes to the widest, as the paper shows it.
    """
    found, rest, i, bands = [], b"", 0, []
    while True:
        start = data.find(b"\x1dv0\x00", i)
        if bands and start != i:  # the picture ends where something else is sent
            width = max(x for x, _y, _bits in bands)
            rows = b"".join(bits[r * x:(r + 1) * x].ljust(width, b"\x00") for x, y, bits in bands for r in range(y))
            found.append((width, sum(y for _x, y, _bits in bands), rows))
            bands = []
        if start < 0:
            return found, rest + data[i:]
        x, y = data[start + 4] | data[start + 5] << 8, data[start + 6] | data[start + 7] << 8
        bands.append((x, y, data[start + 8:start + 8 + x * y]))
        rest, i = rest + data[i:start], start + 8 + x * y


def test_init_only_esc_at_for_two_byte_encodings():
    assert encode([]) == INIT
    assert encode([], PrinterProfile(encoding="gb18030")) == INIT


def test_ascii_line_is_plain_ascii():
    assert encode([Text("A012")]) == INIT + b"\x1ba\x00" + b"\x1d!\x00" + b"A012\n"


def test_chinese_line_in_big5_two_byte_mode():
    big5 = OFFICE.encode("cp950")
    assert big5 == bytes.fromhex("a4 47 aa 4c a4 e1 ac 46 a8 c6 b0 c8 a9 d2")
    assert encode([Text(OFFICE)]) == INIT + b"\x1ba\x00\x1d!\x00" + b"\x1c&" + big5 + b"\x1c." + b"\n"


def test_mixed_line_is_wrapped_whole():
    body = encode([Text("A012 號")])[len(INIT) + 6:]
    assert body == b"\x1c&A012 " + "號".encode("cp950") + b"\x1c.\n"


@pytest.mark.parametrize("width, height, n", [(1, 1, 0x00), (2, 2, 0x11), (4, 4, 0x33), (2, 1, 0x10), (8, 8, 0x77)])
def test_sizes(width, height, n):
    data = encode([Text("A", width=width, height=height)])
    reset = b"\x1d!\x00" if n else b""
    assert data == INIT + b"\x1ba\x00" + b"\x1d!" + bytes([n]) + b"A" + reset + b"\n"


@pytest.mark.parametrize("align, n", [("left", 0), ("center", 1), ("right", 2)])
def test_alignment_is_set_by_every_line(align, n):
    data = encode([Text("x", align=align), Text("y")])
    assert data == INIT + b"\x1ba" + bytes([n]) + b"\x1d!\x00x\n" + b"\x1ba\x00\x1d!\x00y\n"


def test_bold_on_and_off():
    assert encode([Text("A", bold=True)]) == INIT + b"\x1ba\x00\x1d!\x00\x1bE\x01A\x1bE\x00\n"


def test_qr_native_exact_bytes():
    url = "https://a.tw/q"
    assert encode([QR(url, module=5)]) == INIT + (
        b"\x1ba\x01"
        b"\x1d(k\x04\x00\x31\x41\x32\x00"
        b"\x1d(k\x03\x00\x31\x43\x05"
        b"\x1d(k\x03\x00\x31\x45\x31"
        b"\x1d(k\x11\x00\x31\x50\x30" + url.encode() +
        b"\x1d(k\x03\x00\x31\x51\x30"
        b"\n")


def test_qr_native_long_url_length_bytes():
    url = "https://example.gov.tw/?" + "x" * 276
    assert len(url) == 300
    data = encode([QR(url)])
    store = data.index(b"\x1d(k", data.index(b"\x31\x45\x31"))
    assert data[store + 3:store + 5] == bytes([303 & 0xFF, 303 >> 8]) == b"\x2f\x01"
    assert data[store + 5:store + 8] == b"1P0" and data[store + 8:store + 308] == url.encode()


def test_feed_and_cut():
    assert encode([Feed(3), Cut()]) == INIT + b"\x1bd\x03" + b"\x1dVB\x00"


def test_vietnamese_name_is_an_image_never_a_question_mark(font):
    data = encode([Text(f"{VIETNAMESE} 阮文安", align="center")], PrinterProfile(font_path=font))
    (x, y, bitmap), = images(data)[0]
    _, rest = images(data)
    assert rest == INIT + b"\x1ba\x00"  # the whole line is the picture: no text, no FS &
    assert len(bitmap) == x * y
    assert 24 <= y <= 48 and 0 < x <= 384 // 8
    assert any(bitmap) and b"?" not in rest


def test_question_marks_only_from_input(font):
    lines = [Text(OFFICE), Text(VIETNAMESE), Text("堃"), Text("Đà Nẵng")]
    for profile in (PrinterProfile(font_path=font), PrinterProfile(encoding="gb18030", font_path=font)):
        assert b"?" not in images(encode(lines, profile))[1]
    assert b"?" in encode([Text("幾號?")])


def test_character_outside_cp950_is_drawn(font):
    assert unencodable("二林堃", "big5") == "堃"
    data = encode([Text("張堃")], PrinterProfile(font_path=font))
    assert b"\x1c&" not in data and len(images(data)[0]) == 1


def test_image_needs_a_font():
    with pytest.raises(ValueError, match=r"ễ.*font"):
        encode([Text(VIETNAMESE)])
    with pytest.raises(ValueError, match="font"):
        encode([Text("A")], PrinterProfile(encoding="raster"))


def test_font_without_the_glyph_is_an_error(font):
    with pytest.raises(ValueError, match="has no"):
        encode([Text("ไทย")], PrinterProfile(font_path=font))


def test_gb18030_profile():
    data = encode([Text(OFFICE)], PrinterProfile(encoding="gb18030"))
    assert data == INIT + b"\x1ba\x00\x1d!\x00\x1c&" + OFFICE.encode("gb18030") + b"\x1c.\n"


def test_utf8_profile_selects_utf8_and_sends_raw():
    data = encode([Text(OFFICE), Text(VIETNAMESE)], PrinterProfile(encoding="utf-8"))
    assert data.startswith(INIT + b"\x1c(C\x02\x00\x30\x02")
    assert OFFICE.encode("utf-8") + b"\n" in data and VIETNAMESE.encode("utf-8") + b"\n" in data
    assert b"\x1c&" not in data


def test_raster_profile_sends_only_images(font):
    data = encode([Text(OFFICE), Text("A012", 4, 4)], PrinterProfile(encoding="raster", font_path=font))
    found, rest = images(data)
    assert b"\x1c&" not in data and len(found) == 2
    assert rest == INIT + b"\x1ba\x00" * 2
    assert found[1][1] > 3 * found[0][1]  # the 4x4 number is about four times as tall


def test_raster_qr_fits_and_reads_back():
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    url = "https://example.gov.tw/?" + "x" * 276
    for width in (384, 576):
        (x, y, bitmap), = images(encode([QR(url, module=6)], PrinterProfile(width_dots=width, qr="raster")))[0]
        assert x * 8 <= width
        picture = Image.frombytes("1", (x * 8, y), bitmap).convert("L").point(lambda v: 255 - v)
        assert [s.data.decode() for s in pyzbar.decode(picture)] == [url]


def test_raster_picture_is_padded_to_align():
    logo = Image.new("L", (16, 2), 0)  # all black
    (x, y, bitmap), = images(encode([Raster(logo, align="right")]))[0]
    assert (x, y) == (48, 2) and bitmap[:48] == b"\x00" * 46 + b"\xff\xff"
    with pytest.raises(ValueError, match="does not fit"):
        encode([Raster(Image.new("L", (400, 1)))])


def test_blank_rows_of_a_picture_cost_a_byte_a_row_and_print_the_same():
    """A drawn line's box has blank rows above and below its ink: they go as a band one byte wide (1 byte a row,
    not 48), the ink only as far right as it reaches; stitched back, the paper is the picture, dot for dot."""
    line = Image.new("L", (300, 40), 255)
    line.paste(0, (0, 10, 200, 30))  # ink in rows 10-29, columns 0-199
    data = encode([Raster(line, align="center")])
    sent = []
    at = data.find(b"\x1dv0\x00")
    while at >= 0:
        x, y = data[at + 4] | data[at + 5] << 8, data[at + 6] | data[at + 7] << 8
        sent.append((x, y))
        at = data.find(b"\x1dv0\x00", at + 8 + x * y)
    left = (384 - 300) // 2
    assert sent == [(1, 10), ((left + 200 + 7) // 8, 20), (1, 10)]
    (x, y, bitmap), = images(data)[0]
    printed = Image.frombytes("1", (x * 8, y), bitmap)
    expected = Image.new("1", (x * 8, 40), 0)
    expected.paste(1, (left, 10, left + 200, 30))
    assert printed.tobytes() == expected.tobytes()
    assert len(data) < 700  # one picture of the whole box, centred: 40 rows of 43 bytes, 1,720


def test_default_ticket_fits_the_byte_budget():
    ticket = [
        Text(OFFICE, 2, 2, "center", bold=True),
        Text("戶籍謄本申請", align="center"),
        Text("A012", 4, 4, "center", bold=True),
        Text("2025-05-09 14:32", align="center"),
        QR("https://example.gov.tw/erlin/queue?ticket=A012&date=20250509"),
        Text("請留意叫號，過號請重新抽號", align="center"),
        Feed(3),
        Cut(),
    ]
    assert len(ticket[4].data) == 60
    data = encode(ticket)
    assert not images(data)[0]
    # The URL has a '?', and so may a length byte (here pL = 63): look for replacement '?' in the text only.
    assert b"?" not in encode(block for block in ticket if not isinstance(block, QR))
    assert len(data) <= 1024, f"default ticket is {len(data)} bytes"
    print(f"default ticket: {len(data)} bytes")


def test_layout_helpers():
    assert text_columns(OFFICE) == 14 and text_columns("A012") == 4 and text_columns("Ａ") == 2
    assert chars_per_line(PrinterProfile()) == 32 and chars_per_line(PrinterProfile(width_dots=576)) == 48
    assert chars_per_line(PrinterProfile(), width=2) == 16
    assert unencodable(VIETNAMESE, "big5") == "ễă" and unencodable(VIETNAMESE, "utf-8") == ""


@pytest.mark.parametrize("make", [lambda: Text("x", width=9), lambda: Text("x", align="middle"),
                                  lambda: Text("a\x1bb"), lambda: QR("x", module=0), lambda: Feed(256),
                                  lambda: PrinterProfile(encoding="latin-1"), lambda: PrinterProfile(width_dots=380)])
def test_bad_values_are_refused(make):
    with pytest.raises(ValueError):
        make()
