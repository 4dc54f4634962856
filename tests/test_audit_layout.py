"""`kiosk audit layout` as a technician runs it: every screen x state x size x language, checked."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from kiosk.settings import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "provisioning" / "kiosk.toml.example"


def audit(*args, config=None, timeout=900):
    env = dict(os.environ)
    env.pop("SDL_VIDEODRIVER", None)  # the command chooses offscreen itself
    cmd = [sys.executable, "-m", "kiosk.cli", "audit", "layout", *args]
    if config:
        cmd += ["--config", str(config)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


#: The whole audit, one language a test (about two minutes each on two cores, under pytest's timeout each):
#: with the shipped settings in every language; with the technician's example (its own names and
#: announcements) in Chinese, what it changes.
AUDITS = [pytest.param(None, lang, id=f"shipped-{lang}") for lang in LANGUAGES] + [
    pytest.param(EXAMPLE, "zh-TW", id="example-zh-TW")]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("config, lang", AUDITS)
def test_every_screen_passes_the_audit(config, lang, tmp_path):
    """14 screens and the idle prompt over one x 5 states x 4 sizes in one language, not one problem."""
    result = audit("--lang", lang, config=config)
    assert result.returncode == 0, f"the audit found problems:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert re.search(r"^300 of 300 screens drawn .*: 0 problems$", result.stdout, re.M), result.stdout[-500:]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_residents_screen_passes_the_audit_in_the_large_text_mode(lang):
    """Issue 20's done-when: the large-text mode at every size, with its rules (text >= 4.5 mm, 7:1), in one
    language a test; the staff's screens and the out-of-service one are never drawn large."""
    result = audit("--lang", lang, "--mode", "large")
    assert result.returncode == 0, f"the audit found problems:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert re.search(r"^240 of 240 screens drawn .*, large text\): 0 problems$", result.stdout, re.M), \
        result.stdout[-500:]


#: Mounted high, in make test: the smallest panel in mm (800x480), the narrowest layout (1280x800: 160 units wide)
#: and the widest (1920x1080), in Chinese, English, Vietnamese (the tallest Latin lines) and Thai (its own
#: shaping); Indonesian and Filipino are Latin text as English is.  `kiosk audit layout --reach low` runs them all.
REACH_SIZES = ("800x480", "1280x800", "1920x1080")
REACH_LANGS = ("zh-TW", "en", "vi", "th")


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("mode", ["normal", "large"])
def test_a_screen_mounted_high_passes_the_audit_with_no_control_in_its_top_third(mode):
    """Issue 20's display.reach = "low", with its own rule (reach) besides the others."""
    sizes = [arg for size in REACH_SIZES for arg in ("--size", size)]
    langs = [arg for lang in REACH_LANGS for arg in ("--lang", lang)]
    result = audit("--reach", "low", "--mode", mode, *sizes, *langs, timeout=1400)
    assert result.returncode == 0, f"the audit found problems:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    count = (15 if mode == "normal" else 12) * 5 * len(REACH_SIZES) * len(REACH_LANGS)
    assert re.search(rf"^{count} of {count} screens drawn .*reach low\): 0 problems$", result.stdout, re.M), \
        result.stdout[-500:]


def test_out_keeps_every_picture_by_name_and_a_contact_sheet(tmp_path):
    out = tmp_path / "audit"
    result = audit("--state", "busy", "--size", "800x480", "--lang", "en", "--screen", "forms", "--screen", "ticket",
                   "--out", str(out))
    assert result.returncode in (0, 1), result.stderr[-2000:]
    pictures = sorted(p.name for p in out.glob("*.png"))
    assert pictures == ["forms-busy-800x480-en.png", "ticket-busy-800x480-en.png"]
    image = Image.open(out / "ticket-busy-800x480-en.png")
    assert image.size == (800, 480)
    assert len(image.convert("RGB").getcolors(1 << 16) or []) > 20  # a drawn screen, not a blank one
    sheet = (out / "index.html").read_text(encoding="utf-8")
    assert 'src="ticket-busy-800x480-en.png"' in sheet and 'src="forms-busy-800x480-en.png"' in sheet


def test_a_planted_defect_is_one_line_naming_screen_state_size_language_and_widget(tmp_path):
    """A service whose English name is one long word: it cannot fit a tile without breaking inside it."""
    config = tmp_path / "kiosk.toml"
    config.write_text('[[services]]\nprefix = "A"\nname = "戶籍登記"\n'
                      'name_en = "Householdregistrationandresidencecertificates"\n'
                      '[[services]]\nprefix = "B"\nname = "身分證"\nname_en = "ID cards"\n', encoding="utf-8")
    result = audit("--state", "busy", "--size", "800x480", "--lang", "en", "--screen", "ticket", config=config)
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("ticket busy 800x480 en ")]
    assert lines, result.stdout
    assert any("Householdreg" in line and re.search(r": (word-break|overflow|ellipsis|clipped): ", line)
               for line in lines), lines
    assert re.search(r"^1 of 1 screens drawn .*: \d+ problems? on 1 of them$", result.stdout, re.M)


def test_a_bad_config_is_refused_before_any_window(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text("[display]\nidle_timeout = -3\n", encoding="utf-8")
    result = audit(config=config, timeout=60)
    assert result.returncode == 2
    assert "idle_timeout" in result.stderr
