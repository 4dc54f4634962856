"""Reading and checking the boot partition's ``kiosk.toml``.

The file is read once into a :class:`Parsed`: the app's sections (checked by
:mod:`kiosk.config` where it imports, with the original text so its line
numbers point into this very file), the system sections (checked in
:mod:`provisioning.system_checks`), the secrets scrubbed from the card earlier,
and every problem as ``FILE:LINE: KEY: message`` (secrets never echoed).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

from .app_config import APP_SECTIONS, app_validate, key_lines
from .app_toml import applied_token
from .host import HOSTNAME
from .layout import SCRUB_MARKER, SECRET_KEYS, SYSTEM_SECTIONS
from .system_checks import check_system

__all__ = ["ProvisioningError", "Parsed", "read", "validate"]


class ProvisioningError(ValueError):
    """The boot file has problems; nothing was applied.  ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class Parsed:
    """A boot file read and checked: the app's data, the system settings, the problems."""

    def __init__(self, name: str = ""):
        self.name = name
        self.text = ""
        self.app: Dict[str, Any] = {}
        self.system: Dict[str, Any] = {}
        self.problems: List[str] = []
        self.kept: Tuple[str, ...] = ()  # secrets scrubbed earlier: keep the applied ones

    def problem(self, key: str, message: str, line: Optional[int] = None) -> None:
        """Record one problem as ``FILE:LINE: KEY: message``."""
        where = f"{self.name}:{line}" if line else self.name
        self.problems.append(f"{where}: {key}: {message}")


def validate(path, root: Optional[Path] = None) -> List[str]:
    """Every problem with a boot ``kiosk.toml``, one ``FILE:LINE: KEY: message`` line each.

    ``root`` (the kiosk's root) lets a scrubbed secret count as present when the
    kiosk already has it; on a laptop leave it out.
    """
    return read(Path(path), Path(root) if root is not None else None).problems


def read(path: Path, root: Optional[Path] = None) -> Parsed:
    """Read and check the boot file at ``path``; ``root`` as for :func:`validate`."""
    parsed = Parsed(str(path))
    data = _load(path, parsed)
    if data is None:
        return parsed
    text = parsed.text
    lines = key_lines(text)
    first = text.splitlines()[0] if text else ""
    if first.startswith(SCRUB_MARKER):
        parsed.kept = tuple(k for k in first[len(SCRUB_MARKER):].split() if k in SECRET_KEYS)

    # Split: the system sections are checked here, the rest by kiosk.config with the
    # original text, so its line numbers point into this very file.
    system = {s: data.pop(s) for s in SYSTEM_SECTIONS if s in data}
    _drop_unknown_sections(data, lines, parsed)
    parsed.app = data
    app_reported = _check_app(data, path, parsed)
    parsed.system = check_system(system, lines, parsed.problem, parsed.kept, root)
    _check_kiosk_id(data, lines, parsed, app_reported)
    _check_kept_token(data, lines, parsed, root)
    return parsed


def _load(path: Path, parsed: Parsed) -> Optional[Dict[str, Any]]:
    """The file's TOML data (its text in ``parsed.text``), or None with the problem recorded."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        parsed.problem("(file)", f"cannot read: {exc.strerror or exc}")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        parsed.problem("(file)", "is not UTF-8 text; save it as UTF-8 (Big5 files are not accepted)",
                       raw[: exc.start].count(b"\n") + 1)
        return None
    parsed.text = text
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        parsed.problem("(syntax)", f"not valid TOML: {message}", int(match.group(1)) if match else None)
        return None


def _drop_unknown_sections(data: Dict[str, Any], lines: Dict[str, int], parsed: Parsed) -> None:
    known = list(APP_SECTIONS or []) + list(SYSTEM_SECTIONS)
    for section in list(data):
        if APP_SECTIONS is not None and section not in APP_SECTIONS:
            parsed.problem(section, f"unknown section [{section}]; known: {', '.join(known)}", lines.get(section))
            del data[section]


def _check_app(data: Dict[str, Any], path: Path, parsed: Parsed) -> set:
    """The app's own checks (kiosk.config) where it imports; return the keys they reported."""
    if app_validate is None:
        return set()
    _values, found = app_validate(data, parsed.text, base_dir=Path(path).resolve().parent)
    for p in found:
        parsed.problem(p.key, p.message, p.line)
    return {p.key for p in found}


def _check_kiosk_id(data: Dict[str, Any], lines: Dict[str, int], parsed: Parsed, app_reported: set) -> None:
    """kiosk.id becomes the host name: stricter than the app's own rule."""
    kiosk = data.get("kiosk") if isinstance(data.get("kiosk"), dict) else {}
    kiosk_id = kiosk.get("id")
    if kiosk_id is None:
        parsed.problem("kiosk.id", "must be set: it is this kiosk's name and becomes its host name (e.g. 'ERLIN-01')",
                       lines.get("kiosk"))
    elif "kiosk.id" not in app_reported and (not isinstance(kiosk_id, str) or not HOSTNAME.fullmatch(kiosk_id)):
        parsed.problem("kiosk.id", f"becomes the host name, so only letters, digits and '-' (not first or last, "
                                   f"no '_'), at most 63; got {kiosk_id!r}", lines.get("kiosk.id"))


def _check_kept_token(data: Dict[str, Any], lines: Dict[str, int], parsed: Parsed, root: Optional[Path]) -> None:
    """A token scrubbed from the card earlier must still be on the kiosk."""
    server = data.get("server") if isinstance(data.get("server"), dict) else {}
    if "server.token" in parsed.kept and not server.get("token") and root is not None:
        if not applied_token(root):
            parsed.problem("server.token", "was moved off the card earlier but this kiosk has none; type it again",
                           lines.get("server.token"))
