"""Screenshots: the real `kiosk screenshot` command, and pixels a resident would see."""

import subprocess
import sys

import pytest
from PIL import Image

TILE_COLOURS = {"ticket": (20, 102, 191), "forms": (38, 115, 46), "rating": (184, 59, 13)}


def run_screenshot(tmp_path, *args):
    out = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "screenshot", *args, "--out", str(out)],
                          capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "KIOSK_CONFIG": ""})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return Image.open(out).convert("RGB"), proc


def close(pixel, colour, tolerance=12):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def ink_columns(image, box, background):
    """x positions (relative to box) of columns holding a pixel far from the background colour."""
    crop = image.crop(box)
    return [x for x in range(crop.width)
            if any(not close(crop.getpixel((x, y)), background, 60) for y in range(crop.height))]


def glyph_cells(image, box, background):
    """Split the ink in ``box`` into runs of columns (one per character, roughly)."""
    columns = ink_columns(image, box, background)
    runs, start, prev = [], None, None
    for x in columns:
        if start is None:
            start = prev = x
        elif x > prev + 2:
            runs.append((start, prev))
            start = x
        prev = x
    if start is not None:
        runs.append((start, prev))
    crop = image.crop(box)
    return [crop.crop((a, 0, b + 1, crop.height)) for a, b in runs]


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)])
def test_home_screenshot_shows_three_tiles_with_real_chinese_text(tmp_path, size):
    image, proc = run_screenshot(tmp_path, "home", "--size", f"{size[0]}x{size[1]}")
    assert image.size == size
    width, height = size
    # three tiles, left to right, at a third of the width each, in the middle band of the screen
    for i, (name, colour) in enumerate(TILE_COLOURS.items()):
        x = int(width * (i + 0.5) / 3)
        samples = [image.getpixel((x + dx, int(height * 0.5) + dy)) for dx in (-60, 60) for dy in (-10, 10)]
        left_edge = image.getpixel((int(width * (i + 0.08) / 3), int(height * 0.62)))
        assert any(close(p, colour) for p in samples + [left_edge]), f"{name} tile colour not found at x={x}"
    # the tile title band holds four distinct glyphs, not four identical boxes (tofu)
    u = min(width / 160, height / 100)
    tile_w = (width - 12 * u) / 3
    title_box = (int(3 * u), int(height * 0.54), int(3 * u + tile_w), int(height * 0.665))
    cells = glyph_cells(image, title_box, TILE_COLOURS["ticket"])
    assert len(cells) >= 4, f"expected 4 characters of 抽號碼牌, found {len(cells)} ink runs"
    shapes = {cell.resize((24, 24)).convert("1").tobytes() for cell in cells[:4]}
    assert len(shapes) == 4, "the four characters render identically: missing glyphs (tofu)"


def test_english_screenshot_differs_from_chinese(tmp_path):
    zh, _ = run_screenshot(tmp_path, "home", "--size", "800x480")
    en, proc = run_screenshot(tmp_path, "home", "--size", "800x480", "--lang", "en")
    assert "en" in proc.stdout
    band = (0, int(480 * 0.62), 800, int(480 * 0.76))
    assert zh.crop(band).tobytes() != en.crop(band).tobytes()


def test_unknown_screen_is_a_usage_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "screenshot", "nowhere", "--out", str(tmp_path / "x.png")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_rate_screenshot_shows_three_coloured_faces(tmp_path):
    image, proc = run_screenshot(tmp_path, "rate", "--size", "800x480")
    assert "rate" in proc.stdout
    face_colours = [(41, 153, 61), (245, 179, 20), (209, 46, 36)]  # green, amber, red (kiosk/ui/rating.py)
    centres = []
    for colour in face_colours:
        xs = [x for x in range(0, 800, 4) for y in range(120, 400, 8) if close(image.getpixel((x, y)), colour, 20)]
        assert xs, f"no face of colour {colour}"
        centres.append(sum(xs) / len(xs))
    assert centres == sorted(centres), "faces are not best-first from the left"


def test_admin_screenshot_shows_the_real_stores_state_and_records_nothing(tmp_path):
    from kiosk.ticketing_pause import set_ticketing_paused
    from kiosk.store import Store

    data = tmp_path / "data"
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{data}"\n', encoding="utf-8")
    with Store.open(data) as store:
        store.record_event("fault", {"kind": "printer_paper_out", "message": "printer sim://printer is out of paper"})
        set_ticketing_paused(store, True)  # a warning row (amber)
        before = len(store.events())
    (data / "provisioning-errors.txt").write_text("kiosk.toml:3: kiosk.id: bad\n")  # a failing row (red)
    image, _proc = run_screenshot(tmp_path, "admin", "--size", "800x480", "--config", str(config))
    assert image.size == (800, 480)
    colours = {colour for _count, colour in image.getcolors(800 * 480)}
    assert any(close(c, (191, 20, 13), 40) for c in colours), "no failing (red) status row"
    assert any(close(c, (153, 89, 0), 40) for c in colours), "no warning (amber) status row"
    with Store.open(data) as store:
        assert len(store.events()) == before  # a picture of the screen changes nothing
