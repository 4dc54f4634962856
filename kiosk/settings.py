"""
Every key kiosk.toml may hold: the SETTINGS table and the checks of its values
===============================================================================

Each row of :data:`SETTINGS` is one key: its section, name, kind, default, the
help text, and the check its value must pass (each check returns None when the
value is fine, else what is wrong, in words a technician acts on).  The table is
the single source for validation (``kiosk/config.py`` reads a file and checks it
against these rows), for ``kiosk config check`` and ``config show``, for
provisioning's check of the app's keys (``provisioning/app_config.py``), and for
the documentation (``tests/test_docs.py`` fails when a setting is missing from
the README).  It is data, and it grows with every feature; loading, merging and
the checks that compare keys with each other stay in ``kiosk/config.py``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

from hardware.wiring_defaults import BUTTON_PINS, LED_PINS, UART_PINS
from protocol import languages

__all__ = ["SETTINGS", "SECTIONS", "Setting", "LANGUAGES", "QR_PLACEHOLDERS"]

#: Languages the kiosk speaks: English is the messages' source (kiosk/locale/kiosk.pot), the others translate it.
LANGUAGES = languages.LANGUAGES

#: pyserial URL schemes, plus ``sim`` (hardware/printer/urlhandler) for the simulated printer.
PRINTER_SCHEMES = ("loop", "socket", "rfc2217", "spy", "alt", "hwgrep", "cp2110", "sim")
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)

USABLE_BCM_PINS = range(2, 28)


# -- checks: each returns None when the value is fine, else what is wrong ----------------------

def _one_of(choices):
    def check(value):
        if value not in choices:
            return f"must be one of {', '.join(repr(c) for c in choices)}, got {value!r}"
    return check


def _between(low, high, unit=""):
    def check(value):
        if not low <= value <= high:
            return f"must be between {low} and {high}{unit}, got {value!r}"
    return check


def _time_window(value):
    from .updates.window import parse_window
    try:
        parse_window(value)
    except ValueError as exc:
        return str(exc)


def _idle_warning(value):
    # WCAG 2.1 SC 2.2.1: before a time limit ends, at least 20 seconds to extend it with one simple action.
    if value < 20:
        return f"must be at least 20 seconds, so every resident has time to answer 'Need more time?', got {value!r}"
    if value > 600:
        return f"must be at most 600 seconds, got {value!r}"


def _kiosk_id(value):
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", value):
        return (f"must be 1-32 letters, digits, '-' or '_' (e.g. 'ERLIN-01'), got {value!r}")


def _pin_hash(value):
    from .admin_pin import valid_hash
    if value and not valid_hash(value):
        return "must be a hash made by `kiosk admin hash-pin` (pbkdf2-sha256$...), not the PIN itself"


def _non_empty(value):
    if not value.strip():
        return "must not be empty"


def _printer_url(value):
    if value.startswith("/"):
        return None
    match = re.match(r"([a-z0-9]+)://", value)
    if not match:
        return f"must be a device path such as '/dev/serial0' or a pyserial URL such as 'socket://10.0.0.9:9100', got {value!r}"
    if match.group(1) not in PRINTER_SCHEMES:
        return f"unknown scheme {match.group(1)!r}; known: {', '.join(PRINTER_SCHEMES)}"


def _server_url(value):
    host = re.match(r"https?://([^/?#]*)", value)
    if host and "@" in host.group(1):
        # Never echo this value: it holds a password.
        return "must not contain a user name or password (user:pass@); put the kiosk's token in server.token"
    if value and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s]*)?", value):
        return f"must be empty (no upload) or an http(s) URL such as 'https://office.example/', got {value!r}"


def _public_url(value):
    host = re.match(r"https?://([^/?#]*)", value)
    if host and "@" in host.group(1):
        # Never echo this value: it holds a password, and it would be printed on every ticket.
        return "must not contain a user name or password (user:pass@): phones open it from every ticket"
    if value and not re.fullmatch(r"https?://[^\s/?#@]+(/[^\s?#]*)?", value):
        return ("must be empty (no live-queue QR on tickets) or an http(s) address without ?query or #part, "
                f"such as 'https://erlin-queue.example.gov.tw/', got {value!r}")


#: The placeholders ``tickets.qr_url`` may use, each with an example value.
QR_PLACEHOLDERS = {"number": "A001", "service": "A", "kiosk": "K", "date": "2026-11-27", "lang": "zh-TW"}


def _qr_url(value):
    if value == "":
        return None  # the live queue page at server.public_url, or no QR code at all
    if not re.fullmatch(r"https?://\S+", value):
        return f"must be an http(s) URL such as 'https://office.example/queue/{{number}}', got {value!r}"
    try:
        value.format(**QR_PLACEHOLDERS)
    except (KeyError, IndexError, ValueError) as exc:
        known = ", ".join(f"{{{name}}}" for name in QR_PLACEHOLDERS)
        return f"uses an unknown placeholder {exc}; known: {known}"
    if len(value) > 300:
        return "is too long for a QR code a phone reads easily from a small ticket (keep it under 300 characters)"


def _bcm_pins(value):
    for pin in value:
        if pin in UART_PINS:
            return f"BCM pin {pin} is the {UART_PINS[pin]}; choose another"
        if pin not in USABLE_BCM_PINS:
            return f"BCM pin {pin} does not exist on the 40-pin header (use 2-27)"
    if len(set(value)) != len(value):
        return f"lists a pin twice: {value!r}"


def _button_count(value):
    if len(value) not in (3, 5):
        return f"needs 3 or 5 entries (the rating scale), got {len(value)}"
    return _bcm_pins(value)


def _keys(value):
    if any(len(k) != 1 for k in value):
        return f"each key must be one character, got {value!r}"
    if len(set(value)) != len(value):
        return f"lists a key twice: {value!r}"


def _messages(value):
    if not value:
        return "needs at least one announcement"
    for text in value:
        if not text.strip():
            return "contains an empty announcement"


def _messages_en(value):
    for number, text in enumerate(value, start=1):
        if text and not text.strip():
            return (f"announcement {number} is only spaces; write its English text, or \"\" to show it in "
                    "Chinese")


@dataclass(frozen=True)
class Setting:
    """One configuration key: where it lives, what it holds, what it means."""

    section: str
    name: str
    kind: str  # str, int, bool, str_list, int_list
    default: Any
    help: str
    check: Optional[Callable[[Any], Optional[str]]] = None
    secret: bool = False

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "kiosk")


SETTINGS: Tuple[Setting, ...] = (
    Setting("kiosk", "id", "str", "ERLIN-01", "This kiosk's name, unique in the office; sent with every event.", _kiosk_id),
    Setting("kiosk", "office", "str", "彰化縣二林戶政事務所", "The office's name as shown on screen and printed on tickets.", _non_empty),
    Setting("kiosk", "office_en", "str", "Erlin Household Registration Office",
            "The office's name in English, shown when the screen is in English.", _non_empty),
    Setting("kiosk", "data_dir", "str", _default_data_dir(),
            "Where the database and caches live; relative paths are taken from the config file's folder.", _non_empty),
    Setting("kiosk", "language", "str", "zh-TW", "Language the kiosk starts in and returns to when idle.", _one_of(LANGUAGES)),
    Setting("kiosk", "heartbeat_minutes", "int", 5,
            "Every this many minutes (and at start) the kiosk sends the office server a heartbeat: version, uptime, "
            "backlog, printer state, faults; 0 sends none (the office then marks the kiosk offline when it is quiet).",
            _between(0, 60, " minutes")),
    Setting("hardware", "mode", "str", "simulated", "'real' drives GPIO and the serial printer; 'simulated' fakes both.",
            _one_of(("simulated", "real"))),
    Setting("printer", "url", "str", "sim://printer",
            "The printer's port: a device path or any pyserial URL (socket://host:9100, loop://, sim://name).", _printer_url),
    Setting("printer", "baudrate", "int", 9600, "Serial speed of the printer link.", _one_of(BAUDRATES)),
    Setting("printer", "flow_control", "str", "none",
            "Serial flow control the printer expects: 'none', 'rtscts' (hardware) or 'xonxoff' (software).",
            _one_of(("none", "rtscts", "xonxoff"))),
    Setting("printer", "paper_mm", "int", 58, "Paper width: 58 (384 dots) or 80 (576 dots).", _one_of((58, 80))),
    Setting("printer", "encoding", "str", "big5",
            "How the printer takes Chinese text: 'big5' (Taiwan firmware), 'gb18030', 'utf-8', or 'raster' "
            "(every line as an image: slow, for printers without a Chinese font).",
            _one_of(("big5", "gb18030", "utf-8", "raster"))),
    Setting("printer", "qr", "str", "native",
            "'native': the printer draws the QR code (GS ( k); 'raster': we draw it, for printers without QR.",
            _one_of(("native", "raster"))),
    Setting("server", "url", "str", "", "The office server; empty means nothing is uploaded.", _server_url),
    Setting("server", "public_url", "str", "",
            "The address at which residents' phones reach the office server (or a public mirror of its live "
            "pages), e.g. https://erlin-queue.example.gov.tw/: the ticket's QR opens its live queue page there. "
            "Empty: tickets carry no live-queue QR (server.url is the kiosk's own way in, often one a phone on "
            "mobile data cannot open).", _public_url),
    Setting("server", "token", "str", "", "This kiosk's bearer token for the office server.", secret=True),
    Setting("server", "ca_bundle", "str", "",
            "A CA bundle (PEM file) to trust for the office server's TLS certificate; empty: the system's."),
    Setting("server", "keep_days", "int", 30,
            "Days delivered events stay in the local outbox before they are pruned.", _between(1, 365, " days")),
    Setting("display", "fullscreen", "bool", True, "Fill the screen (the appliance); 'kiosk run --window WxH' overrides it."),
    Setting("display", "rotation", "int", 0, "Rotate the picture (and touches) by 0, 90, 180 or 270 degrees.",
            _one_of((0, 90, 180, 270))),
    Setting("display", "idle_timeout", "int", 60, "Seconds without a touch before the kiosk returns home.",
            _between(10, 3600, " seconds")),
    Setting("display", "idle_warning", "int", 20,
            "Seconds the 'Need more time?' question counts down, after the idle timeout, before the kiosk returns home.",
            _idle_warning),
    Setting("display", "large_text", "bool", False,
            "Start each resident in the large-text mode (text 1.5 times larger, contrast 7:1); the home screen's "
            "button switches it for one resident, and the kiosk returns to this choice when they leave."),
    Setting("display", "reach", "str", "full",
            "\"low\" for a screen mounted high: nothing a resident touches in the top third of the screen (the "
            "header's buttons move to a bar at the bottom, every screen's controls below its words); \"full\": "
            "the whole screen.", _one_of(("full", "low"))),
    Setting("marquee", "messages", "str_list",
            ["歡迎光臨彰化縣二林戶政事務所", "服務時間：週一至週五 08:00–17:00，週二夜間延長至 20:00",
             "申請戶籍謄本請攜帶國民身分證"],
            "Announcements scrolled on the marquee strip (電子字幕機), in order.", _messages),
    Setting("marquee", "messages_en", "str_list",
            ["Welcome to the Erlin Household Registration Office",
             "Opening hours: Monday to Friday 08:00–17:00, Tuesday evenings until 20:00",
             "Please bring your national ID card to apply for a household registration transcript"],
            "The same announcements in English, in the same order, shown when the screen is in English; an "
            "announcement with no English text here (a shorter list, or \"\") shows in Chinese. The defaults "
            "translate the default messages: a file that sets messages without messages_en has none.",
            _messages_en),
    Setting("marquee", "speed", "int", 80, "Marquee speed in pixels per second.", _between(20, 400, " px/s")),
    Setting("buttons", "pins", "int_list", list(BUTTON_PINS),
            "BCM pins of the rating buttons, best first (3: 滿意/普通/不滿意, or 5).", _button_count),
    Setting("buttons", "leds", "int_list", list(LED_PINS), "BCM pins of the buttons' LEDs, in the same order.", _bcm_pins),
    Setting("buttons", "keys", "str_list", ["1", "2", "3"],
            "Keyboard keys that stand in for the buttons in simulated mode, in the same order.", _keys),
    Setting("buttons", "debounce_ms", "int", 50,
            "Contact bounce within this many milliseconds of a press counts as that press.", _between(5, 500, " ms")),
    Setting("buttons", "stuck_after", "int", 10,
            "A button held down this many seconds is reported stuck and ignored until released.",
            _between(3, 600, " seconds")),
    Setting("tickets", "wrap", "int", 999, "Numbers run from 1 to this, then start again at 1 (99-9999).",
            _between(99, 9999)),
    Setting("tickets", "qr_url", "str", "",
            "The QR code on the ticket: a URL, which may use {number}, {service}, {kiosk}, {date} and {lang} (the "
            "ticket's language: zh-TW, en, vi, id, th or fil). Empty: the office server's live queue page at "
            "server.public_url (public_url + q/{date}/{number}?lang={lang}), or no QR code without one.",
            _qr_url),
    Setting("forms", "file", "str", "",
            "The office's own forms catalogue (same format as protocol/data/forms.toml), read over the shipped one; "
            "a broken file is reported and the last good catalogue kept. Empty: the shipped catalogue only."),
    Setting("ratings", "response_interval", "int", 3,
            "A rating within this many seconds of the previous one is kept but marked misuse.",
            _between(0, 60, " seconds")),
    Setting("ratings", "ticket_minutes", "int", 5,
            "The rating screen offers the newest ticket taken here in the last this many minutes (one, unticked: "
            "'this is about ticket A012'), so a resident can say which visit they rate; 0 offers none. Keep it "
            "short: an older ticket is most likely another resident's number.", _between(0, 240, " minutes")),
    Setting("ratings", "location", "str", "",
            "Where the rating buttons stand, e.g. '3' for counter 3; empty for the lobby kiosk itself. A whole "
            "number is a counter: the office links each rating to the ticket that counter had just served."),
    Setting("ratings", "service", "str", "",
            "Service code the ratings belong to when this box serves one service (e.g. 'C'); empty if not."),
    Setting("ratings", "follow_up", "bool", True, "After a negative rating, ask why (等候時間太長, 服務態度…)."),
    Setting("ratings", "follow_up_timeout", "int", 20, "Seconds the why-question waits for an answer.",
            _between(5, 120, " seconds")),
    Setting("ratings", "thank_you_seconds", "int", 4, "Seconds the thank-you screen shows after a rating.",
            _between(1, 30, " seconds")),
    Setting("ratings", "silent_days", "int", 5,
            "Flag a button with no press on this many days on which other buttons were pressed (covered or broken?).",
            _between(1, 60, " days")),
    Setting("speech", "voice_guide", "bool", True,
            "The voice guide for a resident who cannot see the screen: holding any rating button for "
            "speech.hold_seconds starts it; the kiosk then speaks and the buttons choose (previous / choose / "
            "next). With it on, a button press counts when the button comes back up. false: no guide, presses "
            "count at once."),
    Setting("speech", "hold_seconds", "int", 3,
            "Seconds a rating button is held to start the voice guide (shorter than buttons.stuck_after).",
            _between(2, 9, " seconds")),
    Setting("speech", "volume", "int", 80,
            "The voice guide's volume, in percent of the loudest; a resident may change it, and the next one "
            "starts here again (tune it to at least 65 dB at the resident's ear).", _between(10, 100, " %")),
    Setting("update", "enabled", "bool", True,
            "Take the system updates the office server offers this kiosk (RAUC bundles, images/README.md): "
            "downloaded in the background, installed in update.window, kept only if the new system passes its "
            "checks. false: the kiosk says it was offered one and takes nothing."),
    Setting("update", "window", "str", "20:00-07:00",
            "When a downloaded update may be installed and the kiosk restarted, office time, HH:MM-HH:MM (it may "
            "span midnight); never while a resident is at the screen.", _time_window),
    Setting("update", "confirm_minutes", "int", 10,
            "After restarting into an update, the minutes the new system has to pass its checks (the first "
            "frame, the store, the printer, the buttons, an upload) before the kiosk goes back to the old one.",
            _between(2, 60, " minutes")),
    Setting("update", "system", "str", "auto",
            "How this kiosk's system is updated: 'rauc' (the SD image's A/B slots), 'simulated' (make run and "
            "the tests: slots in the data folder), 'none', or 'auto' (rauc where /etc/rauc/system.conf exists, "
            "simulated with simulated hardware, else none).", _one_of(("auto", "rauc", "simulated", "none"))),
    Setting("admin", "pin_hash", "str", "",
            "The staff PIN's hash, made by `kiosk admin hash-pin` (never the PIN itself); empty: no admin screen.",
            _pin_hash, secret=True),
    Setting("admin", "attempts", "int", 5, "Wrong PINs in a row before the keypad locks.", _between(1, 20)),
    Setting("admin", "lockout_minutes", "int", 5, "How long the keypad stays locked after too many wrong PINs.",
            _between(1, 1440, " minutes")),
)

#: The ``[[services]]`` tables (protocol/service_list.py) are a list, checked on their own.
SECTIONS: Tuple[str, ...] = tuple(dict.fromkeys(s.section for s in SETTINGS)) + ("services",)
