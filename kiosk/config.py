"""
Configuration
=============

One TOML file configures a kiosk.  It is found, in order, at ``--config PATH``,
``$KIOSK_CONFIG``, ``/etc/kiosk/kiosk.toml``; with none of them the built-in
defaults run a simulated kiosk.  Every key the file may hold is a row of
:data:`SETTINGS` (section, name, kind, default, help): the table is the single
source for validation, for ``kiosk config check`` and for the documentation
(``tests/test_docs.py`` fails when a setting is missing from the README).

Unknown keys, wrong types and out-of-range values are all errors; loading
collects every problem before raising :class:`~kiosk.errors.ConfigError`, so a
technician fixes the file in one pass.  Each problem names the key and, when
the key is in the file, its line.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Optional, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9/3.10 only
    import tomli as tomllib

from protocol.toml_lines import key_lines
from protocol.service_list import DEFAULT_SERVICES, parse_services
from hardware.wiring_defaults import BUTTON_PINS, LED_PINS, UART_PINS

from .errors import ConfigError

__all__ = ["SETTINGS", "Setting", "Problem", "Config", "load_config", "config_warnings", "resolve_config_path",
           "SYSTEM_CONFIG"]

SYSTEM_CONFIG = Path("/etc/kiosk/kiosk.toml")
SECRET_MASK = "***"

#: Languages with a complete message catalogue (kiosk/messages/*.toml).
LANGUAGES = ("zh-TW", "en")

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
            "ticket's language, zh-TW or en). Empty: the office server's live queue page at server.public_url "
            "(public_url + q/{date}/{number}?lang={lang}), or no QR code without one.",
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
    Setting("admin", "pin_hash", "str", "",
            "The staff PIN's hash, made by `kiosk admin hash-pin` (never the PIN itself); empty: no admin screen.",
            _pin_hash, secret=True),
    Setting("admin", "attempts", "int", 5, "Wrong PINs in a row before the keypad locks.", _between(1, 20)),
    Setting("admin", "lockout_minutes", "int", 5, "How long the keypad stays locked after too many wrong PINs.",
            _between(1, 1440, " minutes")),
)

_BY_KEY: Dict[str, Setting] = {s.key: s for s in SETTINGS}
#: The ``[[services]]`` tables (protocol/service_list.py) are a list, checked on their own.
SECTIONS: Tuple[str, ...] = tuple(dict.fromkeys(s.section for s in SETTINGS)) + ("services",)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a configuration file."""

    key: str
    message: str
    line: Optional[int] = None
    involves: Tuple[str, ...] = ()  # for a cross-check: every key it compared
    advice: str = ""                # for a warning (config_warnings): what to do about it

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.key}: {self.message}"


def _kind_error(setting: Setting, value: Any) -> Optional[str]:
    """Say what is wrong with the value's type, or None."""
    names = {"str": "a string", "int": "an integer", "bool": "true or false",
             "str_list": "a list of strings", "int_list": "a list of integers"}
    expected = names[setting.kind]
    ok = {
        "str": lambda v: isinstance(v, str),
        # bool is an int in Python; `baudrate = true` must still be refused.
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "str_list": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "int_list": lambda v: isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in v),
    }[setting.kind](value)
    if ok:
        return None
    shown = SECRET_MASK if setting.secret else repr(value)
    hint = ""
    if setting.kind in ("int", "bool") and isinstance(value, str):
        hint = " (remove the quotes)"
    return f"expected {expected}, got {type(value).__name__} {shown}{hint}"


class Config:
    """A validated configuration: ``config.printer.url``, ``config.kiosk.data_dir``...

    Sections are read-only namespaces; ``source`` is the file it came from
    (None for the built-in defaults).
    """

    def __init__(self, values: Dict[str, Dict[str, Any]], source: Optional[Path] = None):
        self.source = source
        self._values = values
        for section, keys in values.items():
            setattr(self, section, SimpleNamespace(**keys) if isinstance(keys, dict) else keys)

    def get(self, key: str) -> Any:
        section, name = key.split(".", 1)
        return self._values[section][name]

    def with_values(self, section: str, **values) -> "Config":
        """A copy of this configuration with some keys of one section changed (not checked again)."""
        return Config({**self._values, section: {**self._values[section], **values}}, self.source)

    def with_services(self, services) -> "Config":
        """A copy of this configuration with other ``[[services]]``."""
        return Config({**self._values, "services": tuple(services)}, self.source)

    def service(self, prefix: str):
        """The service with this ticket letter; KeyError naming the known ones."""
        for service in self.services:
            if service.prefix == prefix.upper():
                return service
        raise KeyError(f"no service {prefix!r}; this kiosk has {', '.join(s.prefix for s in self.services)}")

    def items(self):
        """Yield ``(setting, value)`` for every setting, in table order."""
        for setting in SETTINGS:
            yield setting, self._values[setting.section][setting.name]

    def shown(self, key: str) -> str:
        """The value as TOML, fit to paste into a file; a secret becomes ``"***"`` (empty stays empty)."""
        value = self.get(key)
        if _BY_KEY[key].secret and value:
            value = SECRET_MASK
        return toml_value(value)

    @property
    def data_dir(self) -> Path:
        return Path(self.kiosk.data_dir)

    @property
    def simulated(self) -> bool:
        return self.hardware.mode == "simulated"

    def summary(self) -> str:
        """A short human description; never contains a secret."""
        where = str(self.source) if self.source else "built-in defaults"
        server = self.server.url or "none (no upload)"
        token = "set" if self.server.token else "not set"
        public = f", public URL {self.server.public_url}" if self.server.public_url else ""
        return (f"{where}: kiosk {self.kiosk.id} at {self.kiosk.office}, {self.hardware.mode} hardware, "
                f"printer {self.printer.url} @ {self.printer.baudrate} baud, server {server} (token {token}){public}, "
                f"{len(self.buttons.pins)} rating buttons, {len(self.services)} services "
                f"({''.join(s.prefix for s in self.services)}), language {self.kiosk.language}")


def toml_value(value: Any) -> str:
    """A value as TOML text (``config show`` prints files that load back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    return str(value)


def defaults() -> Dict[str, Any]:
    values: Dict[str, Any] = {section: {} for section in SECTIONS}
    for setting in SETTINGS:
        default = setting.default
        values[setting.section][setting.name] = list(default) if isinstance(default, list) else default
    values["services"] = DEFAULT_SERVICES
    return values


def validate(data: Dict[str, Any], text: str = "", base_dir: Optional[Path] = None) -> Tuple[Dict[str, Dict[str, Any]], List[Problem]]:
    """Merge parsed TOML over the defaults; return the values and every problem found."""
    lines = key_lines(text)
    values = defaults()
    problems: List[Problem] = []

    for section, table in data.items():
        if section == "services":
            values["services"], found = parse_services(table, lines)
            problems.extend(Problem(key, message, line) for key, message, line in found)
            continue
        if section not in SECTIONS:
            problems.append(Problem(section, f"unknown section [{section}]; known: {', '.join(SECTIONS)}", lines.get(section)))
            continue
        if not isinstance(table, dict):
            problems.append(Problem(section, f"must be a table [{section}], not a value", lines.get(section)))
            continue
        for name, value in table.items():
            key = f"{section}.{name}"
            setting = _BY_KEY.get(key)
            if setting is None:
                known = ", ".join(s.name for s in SETTINGS if s.section == section)
                problems.append(Problem(key, f"unknown key; [{section}] knows: {known}", lines.get(key)))
                continue
            message = _kind_error(setting, value) or (setting.check(value) if setting.check else None)
            if message:
                problems.append(Problem(key, message, lines.get(key)))
            else:
                values[section][name] = value

    marquee = data.get("marquee")
    if isinstance(marquee, dict) and "messages" in marquee and "messages_en" not in marquee:
        values["marquee"]["messages_en"] = []  # the shipped English texts translate the shipped announcements only

    # Cross-checks compare keys with each other: skip any key already reported, or
    # a bad value would be compared as its default and give a misleading second message.
    reported = {p.key for p in problems}
    problems.extend(p for p in _cross_checks(values, lines) if not reported & set(p.involves))

    public_url = values["server"]["public_url"]
    if public_url and not public_url.endswith("/"):
        values["server"]["public_url"] = public_url + "/"  # paths are appended to it: q/{date}/{number}, f/{code}

    data_dir = Path(os.path.expanduser(values["kiosk"]["data_dir"]))
    if not data_dir.is_absolute() and base_dir is not None:
        data_dir = base_dir / data_dir
    values["kiosk"]["data_dir"] = str(data_dir)
    return values, problems


def _cross_checks(values, lines) -> List[Problem]:
    """Checks that involve more than one key."""
    problems = []
    buttons = values["buttons"]
    count = len(buttons["pins"])
    for name in ("leds", "keys"):
        if len(buttons[name]) != count:
            problems.append(Problem(f"buttons.{name}", f"has {len(buttons[name])} entries but buttons.pins has {count}; "
                                                      "give one per button", lines.get(f"buttons.{name}"),
                                    (f"buttons.{name}", "buttons.pins")))
    shared = sorted(set(buttons["pins"]) & set(buttons["leds"]))
    if shared:
        problems.append(Problem("buttons.leds", f"BCM pin {shared[0]} is used by a button and an LED",
                                lines.get("buttons.leds"), ("buttons.leds", "buttons.pins")))
    marquee = values["marquee"]
    if len(marquee["messages_en"]) > len(marquee["messages"]):
        problems.append(Problem("marquee.messages_en", f"has {len(marquee['messages_en'])} announcements but "
                                f"marquee.messages has {len(marquee['messages'])}; give one English text per "
                                "announcement, in the same order", lines.get("marquee.messages_en"),
                                ("marquee.messages_en", "marquee.messages")))
    if values["server"]["token"] and not values["server"]["url"]:
        problems.append(Problem("server.token", "is set but server.url is empty; set the url or remove the token",
                                lines.get("server.token"), ("server.token", "server.url")))
    return problems


def config_warnings(config: "Config") -> List[Problem]:
    """What a valid configuration allows but is most likely wrong: each a Problem with its advice.

    ``kiosk config check`` prints them and still exits 0; ``kiosk selftest`` shows them on its config row.
    Today they are about the QR codes residents scan: an address a phone on mobile data cannot open
    (``kiosk/reachable.py``) prints a QR code that opens nothing.
    """
    from .reachable import local_only

    server, template = config.server, config.tickets.qr_url
    found = []
    if server.public_url:
        why = local_only(server.public_url)
        if why:
            found.append(Problem("server.public_url", f"{why}: a resident's phone on mobile data cannot open the QR "
                                                      "codes made from it", advice=PUBLIC_URL_ADVICE))
        if not server.url and not template:
            found.append(Problem("server.public_url", "is set but server.url is empty: the office server never hears "
                                                      "of this kiosk's tickets, so the live queue pages their QR "
                                                      "codes open know nothing of them",
                                 advice="set server.url so that the kiosk uploads its tickets"))
    elif server.url and not template:
        found.append(Problem("server.public_url", f"is not set, so tickets carry no live-queue QR code (server.url "
                                                  f"{server.url} is the kiosk's own way to the office server, not "
                                                  "an address for residents' phones)", advice=PUBLIC_URL_ADVICE))
    if template:
        why = local_only(template.format(**QR_PLACEHOLDERS))
        if why:
            found.append(Problem("tickets.qr_url", f"{why}: a resident's phone on mobile data cannot open the "
                                                   "ticket's QR code",
                                 advice="use an address reachable from the Internet, or leave it empty and set "
                                        "server.public_url"))
    lines = _source_lines(config)
    fallback = {"server.public_url": "server.url"}  # not in the file: point at what made it needed
    return [replace(p, line=lines.get(p.key) or lines.get(fallback.get(p.key, ""))) for p in found]


PUBLIC_URL_ADVICE = ("set server.public_url to the address at which residents' phones reach the office server from "
                     "the Internet, e.g. \"https://erlin-queue.example.gov.tw/\"")


def _source_lines(config: "Config") -> Dict[str, int]:
    """The line of each key in the file the configuration came from ({} for the built-in defaults)."""
    if config.source is None:
        return {}
    try:
        return key_lines(config.source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}


def resolve_config_path(explicit: Optional[str] = None) -> Optional[Path]:
    """The file to read: ``--config``, else ``$KIOSK_CONFIG``, else the system file if present."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("KIOSK_CONFIG")
    if env:
        return Path(env)
    if SYSTEM_CONFIG.is_file():
        return SYSTEM_CONFIG
    return None


def parse_file(path: Path) -> Tuple[Dict[str, Dict[str, Any]], List[Problem]]:
    """Read and check one file; return its values and every problem found."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return defaults(), [Problem("(file)", f"cannot read: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return defaults(), [Problem("(file)", "is not UTF-8 text; save it as UTF-8 (Big5 files are not accepted)", line)]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        return defaults(), [Problem("(syntax)", f"not valid TOML: {message}", int(match.group(1)) if match else None)]
    values, problems = validate(data, text, base_dir=path.resolve().parent)
    problems.extend(_secret_file_problems(path, values, key_lines(text)))
    return values, problems


def _secret_file_problems(path: Path, values, lines) -> List[Problem]:
    """A file that holds the token must be readable by its owner only (mode 600)."""
    if not values["server"]["token"]:
        return []
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return [Problem("server.token", f"is a secret, but {path} can be read by other users (mode {mode:o}): "
                                        f"chmod 600 {path}", lines.get("server.token"))]
    return []


def load_config(path: Optional[str] = None) -> Config:
    """Find, read and validate the configuration; raise ConfigError listing every problem."""
    source = resolve_config_path(path)
    if source is None:
        values, problems = validate({})
    else:
        values, problems = parse_file(source)
    if problems:
        raise ConfigError(problems, source)
    return Config(values, source)
