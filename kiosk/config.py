"""
Configuration
=============

One TOML file configures a kiosk.  It is found, in order, at ``--config PATH``,
``$KIOSK_CONFIG``, ``/etc/kiosk/kiosk.toml``; with none of them the built-in
defaults run a simulated kiosk.  Every key the file may hold is a row of
:data:`~kiosk.settings.SETTINGS` (section, name, kind, default, help, check), in
``kiosk/settings.py``: the table is data; reading a file, merging it over the
defaults and the checks that compare keys with each other are here.

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
from typing import Any, Dict, List, Optional, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9/3.10 only
    import tomli as tomllib

from protocol.toml_lines import key_lines
from protocol.service_list import DEFAULT_SERVICES, parse_services

from .errors import ConfigError
from .settings import QR_PLACEHOLDERS, SECTIONS, SETTINGS, Setting

__all__ = ["Problem", "Config", "load_config", "config_warnings", "resolve_config_path", "SYSTEM_CONFIG"]

SYSTEM_CONFIG = Path("/etc/kiosk/kiosk.toml")
SECRET_MASK = "***"

_BY_KEY: Dict[str, Setting] = {s.key: s for s in SETTINGS}


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
    speech = values["speech"]
    if speech["voice_guide"] and speech["hold_seconds"] >= buttons["stuck_after"]:
        problems.append(Problem("speech.hold_seconds", f"is {speech['hold_seconds']} s, not shorter than "
                                f"buttons.stuck_after ({buttons['stuck_after']} s): the hold that starts the voice "
                                "guide would be taken for a stuck button", lines.get("speech.hold_seconds"),
                                ("speech.hold_seconds", "buttons.stuck_after")))
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
