"""The hardware documentation stays true to the code.

hardware/docs/wiring.svg is drawn by hardware/docs/wiring.py from the default
wiring in hardware/wiring_defaults.py (where kiosk/settings.py takes its default
pins from); hardware/README.md has a pin table a technician wires from and an
install checklist.  Changing a default pin without regenerating
the picture and fixing the table fails here::

    python hardware/docs/wiring.py      # then commit hardware/docs/wiring.svg
"""

import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hardware.wiring_defaults import UART_PINS
from kiosk.config import defaults
from protocol.ratings import Scale

REPO = Path(__file__).resolve().parent.parent
README = REPO / "hardware" / "README.md"
SCRIPT = REPO / "hardware" / "docs" / "wiring.py"
SVG = REPO / "hardware" / "docs" / "wiring.svg"
SVG_NS = "{http://www.w3.org/2000/svg}"

BUTTONS = defaults()["buttons"]
LABELS = [choice.label for choice in Scale.of_size(len(BUTTONS["pins"])).choices]


@pytest.fixture(scope="module")
def wiring():
    """hardware/docs/wiring.py as a module (it is a script, not part of a package)."""
    spec = importlib.util.spec_from_file_location("hardware_docs_wiring", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def section(title):
    """hardware/README.md's text under the heading starting with title, to the next heading of its level or higher."""
    lines = README.read_text(encoding="utf-8").splitlines()
    for start, line in enumerate(lines):
        heading = re.match(r"(#{1,6})\s+(.*)", line)
        if heading and heading.group(2).startswith(title):
            level = len(heading.group(1))
            end = next((i for i in range(start + 1, len(lines)) if re.match(rf"#{{1,{level}}}\s", lines[i])),
                       len(lines))
            return "\n".join(lines[start + 1:end])
    pytest.fail(f"hardware/README.md has no heading starting with {title!r}")


def pin_table():
    """The first table under "GPIO pin table", one dict per row, keyed by the header cells."""
    rows = [line for line in section("GPIO pin table").splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]
    header, body = cells[0], cells[2:]
    for name in ("function", "BCM", "physical pin", "direction"):
        assert name in header, f"the pin table has no {name!r} column: {header}"
    return [dict(zip(header, row)) for row in body]


def numbered(kind):
    """(index, BCM) of the table's rows whose function is "<kind> <index>: ...", in table order."""
    found = []
    for row in pin_table():
        match = re.match(rf"{kind} (\d+)\b", row["function"])
        if match:
            bcm = re.fullmatch(r"GPIO(\d+)", row["BCM"])
            assert bcm, f"pin table row {row['function']!r}: BCM must read GPIOn, got {row['BCM']!r}"
            found.append((int(match.group(1)), int(bcm.group(1)), row))
    return found


def test_svg_is_what_wiring_py_draws_today(tmp_path):
    out = tmp_path / "wiring.svg"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, cwd=tmp_path,
                   capture_output=True)
    assert SVG.is_file(), "hardware/docs/wiring.svg is missing: run python hardware/docs/wiring.py"
    assert out.read_bytes() == SVG.read_bytes(), \
        "hardware/docs/wiring.svg is out of date: run python hardware/docs/wiring.py and commit it"


def test_svg_is_xml_with_the_chinese_labels_and_the_default_pins():
    root = ET.parse(SVG).getroot()
    assert root.tag == f"{SVG_NS}svg"
    assert "Noto Sans CJK TC" in root.get("font-family", "")
    texts = ["".join(element.itertext()) for element in root.iter(f"{SVG_NS}text")]
    for label in LABELS:  # "滿意  Satisfied", not only inside "不滿意"
        assert any(text.startswith(label + " ") for text in texts), f"no label starting with {label!r}"
    everything = "\n".join(texts)
    for bcm in BUTTONS["pins"] + BUTTONS["leds"] + sorted(UART_PINS):
        assert f"GPIO{bcm}" in everything, f"GPIO{bcm} is not in the drawing"


def test_header_map_is_the_raspberry_pi_header(wiring):
    assert len(wiring.HEADER) == 40
    assert sorted(int(name[4:]) for name in wiring.HEADER.values() if name.startswith("GPIO")) == list(range(28))
    assert [p for p, name in wiring.HEADER.items() if name == "GND"] == [6, 9, 14, 20, 25, 30, 34, 39]
    assert [wiring.physical_pin(b) for b in (2, 14, 15, 17, 21, 26)] == [3, 8, 10, 11, 40, 37]


@pytest.mark.parametrize("kind, setting, what", [("button", "pins", "{label}"), ("LED", "leds", "{label}'s lamp")])
def test_pin_table_lists_exactly_the_default_buttons_and_leds(kind, setting, what):
    rows = numbered(kind)
    assert [i for i, _, _ in rows] == list(range(len(BUTTONS[setting]))), f"{kind}s numbered 0, 1, 2... in order"
    assert [bcm for _, bcm, _ in rows] == BUTTONS[setting], \
        f"hardware/README.md's pin table disagrees with [buttons] {setting} = {BUTTONS[setting]}"
    for (i, _, row), label in zip(rows, LABELS):
        assert f": {label} " in row["function"], \
            f"{kind} {i} should be {what.format(label=label)}: {row['function']!r}"


def test_pin_table_physical_pins_match_the_header(wiring):
    rows = pin_table()
    gpio_rows = [row for row in rows if row["BCM"].startswith("GPIO")]
    assert {int(row["BCM"][4:]) for row in gpio_rows} >= set(UART_PINS), "the printer's TXD and RXD rows"
    for row in gpio_rows:
        bcm = int(row["BCM"][4:])
        assert row["physical pin"] == str(wiring.physical_pin(bcm)), \
            f"{row['BCM']} is header pin {wiring.physical_pin(bcm)}, the table says {row['physical pin']!r}"
    for row in rows:
        if row["function"].startswith("GND"):
            for pin in re.findall(r"\d+", row["physical pin"]):
                assert wiring.HEADER[int(pin)] == "GND", f"pin {pin} is {wiring.HEADER[int(pin)]}, not GND"


def test_readme_embeds_the_wiring_diagram():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)
    assert "docs/wiring.svg" in links, "hardware/README.md must show ![...](docs/wiring.svg)"
    assert (README.parent / "docs" / "wiring.svg").is_file()


def test_install_checklist_ends_with_the_interactive_selftest():
    lines = section("Install checklist").splitlines()
    starts = [(i, int(m.group(1))) for i, line in enumerate(lines) for m in [re.match(r"(\d+)\.\s", line)] if m]
    assert starts, "the install checklist has no numbered steps"
    assert [n for _, n in starts] == list(range(1, len(starts) + 1)), "steps numbered 1, 2, 3... without gaps"
    last = "\n".join(lines[starts[-1][0]:])
    assert "`kiosk selftest --interactive`" in last, f"the last step must run `kiosk selftest --interactive`: {last!r}"
